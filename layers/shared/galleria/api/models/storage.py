"""A team's storage use: within its account, and as the gallery reports it."""

from __future__ import annotations

from galleria.api.models.common import ResponseModel


class StorageOut(ResponseModel):
    used: int
    limit: int | None
    used_formatted: str
    limit_formatted: str
    item_count: int


class GalleryStorageOut(StorageOut):
    """GET /api/v1/gallery/storage: ``used`` includes the trash until it is purged."""

    plan: str
    trash_bytes: int
