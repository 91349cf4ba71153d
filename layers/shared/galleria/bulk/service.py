"""Bulk delete, restore, tag and collect: up to 200 ids, each succeeding or failing on its own.

All of them run through ItemUpdater: one BatchGet per 100 ids, changes packed into as few
transactions as fit, and S3 copies for trash and restore in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass

from galleria.collection_records import CollectionsRepository
from galleria.errors import InvalidRequest
from galleria.items.organise import TagMode, joining, retag
from galleria.items.repository import ItemsRepository
from galleria.items.trash import from_trash, restoring, to_trash, trashing
from galleria.items.updates import ItemRefused, ItemUpdater, Mutation, SideEffects
from galleria.items.writer import ItemWriter
from galleria.storage import MediaStorage

MAX_BULK_IDS = 200


@dataclass(frozen=True)
class BulkResult:
    succeeded: list[str]
    failed: dict[str, ItemRefused]


def unique_ids(item_ids: list[str]) -> list[str]:
    unique = list(dict.fromkeys(item_ids))
    if len(unique) > MAX_BULK_IDS:
        raise InvalidRequest(
            f"Too many ids: at most {MAX_BULK_IDS} distinct itemIds per call, got {len(unique)}",
            code="too_many_ids",
        )
    return unique


class BulkService:
    def __init__(
        self,
        items: ItemsRepository | None = None,
        collections: CollectionsRepository | None = None,
        storage: MediaStorage | None = None,
    ) -> None:
        self.items = items or ItemsRepository()
        self.collections = collections or CollectionsRepository()
        self.storage = storage or MediaStorage()
        self.updater = ItemUpdater(self.items, ItemWriter(self.items.table, self.collections))

    def _run(
        self, team_id: str, item_ids: list[str], mutate: Mutation, side: SideEffects | None = None
    ) -> BulkResult:
        outcome = self.updater.apply(team_id, unique_ids(item_ids), mutate, side)
        return BulkResult(succeeded=[change.item.id for change in outcome.changes], failed=outcome.failed)

    def delete(self, team_id: str, item_ids: list[str]) -> BulkResult:
        return self._run(team_id, item_ids, to_trash, trashing(self.storage))

    def restore(self, team_id: str, item_ids: list[str]) -> BulkResult:
        return self._run(team_id, item_ids, from_trash, restoring(self.storage))

    def tag(self, team_id: str, item_ids: list[str], tags: list[str], mode: TagMode) -> BulkResult:
        return self._run(team_id, item_ids, retag(tags, mode))

    def collect(self, team_id: str, item_ids: list[str], collection_id: str) -> BulkResult:
        self.collections.get(team_id, collection_id)
        return self._run(team_id, item_ids, joining(collection_id))
