"""The ids an operation on many items could not change, each with its reason."""

from __future__ import annotations

from galleria.api.models.bulk import FailedIdOut
from galleria.items.updates import ItemRefused


def failed_out(failed: dict[str, ItemRefused]) -> list[FailedIdOut]:
    return [FailedIdOut(id=item_id, code=refusal.code) for item_id, refusal in failed.items()]
