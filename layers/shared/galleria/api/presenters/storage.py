"""A team's storage use, in bytes and as people read it."""

from __future__ import annotations

from galleria.api.models.storage import GalleryStorageOut
from galleria.domain.teams import Team


def format_bytes(size: int) -> str:
    value, unit = float(size), "B"
    for larger in ("KB", "MB", "GB", "TB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.0f} {unit}" if unit == "B" or value >= 10 else f"{value:.1f} {unit}"


def storage_out(team: Team) -> GalleryStorageOut:
    limit = team.limits.storage_bytes
    return GalleryStorageOut(
        used=team.storage_used,
        limit=limit,
        used_formatted=format_bytes(team.storage_used),
        limit_formatted=format_bytes(limit) if limit is not None else "Unlimited",
        item_count=team.item_count,
        plan=team.plan.value,
        trash_bytes=team.trash_bytes,
    )
