"""A bulk operation's answer: what changed, and the ids it could not change with their reasons."""

from __future__ import annotations

from galleria.api.models.bulk import BulkOut, FailedIdOut
from galleria.bulk.service import BulkResult
from galleria.items.updates import ItemRefused


def failed_out(failed: dict[str, ItemRefused]) -> list[FailedIdOut]:
    return [FailedIdOut(id=item_id, code=refusal.code) for item_id, refusal in failed.items()]


def bulk_out(result: BulkResult) -> BulkOut:
    return BulkOut(succeeded=result.succeeded, failed=failed_out(result.failed))
