"""Trashed items leave for good once their 30 days are over.

Two paths, both idempotent and both ending in the same permanent-delete change (record, counters,
memberships and usage in one transaction, then the remaining trash objects):
- the bucket's `trash/` lifecycle rule expires an object and S3 reports it (LifecycleExpiration,
  through the ingest queue): the item goes at once, so the gallery never shows a file S3 removed;
- a daily sweep of the PurgeByTime index removes whatever is past its purgeAt and remains (an event
  lost, an item whose objects were already gone).

S3 runs lifecycle rules once a day and rounds expiry up to the next midnight UTC, so an object may
expire slightly before or after the purgeAt stamped on its item. PURGE_SLACK tolerates the former;
anything due further out (the item was restored and trashed again since) is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from galleria import clock
from galleria.domain.items import Item
from galleria.items.records import PURGE_SHARDS
from galleria.items.repository import ItemsRepository
from galleria.items.trash import Erasing
from galleria.items.updates import ItemRefused, ItemUpdater, Mutation
from galleria.storage import MediaStorage, trashed_object_owner

PURGE_SLACK = timedelta(days=1)
# Seconds a sweep keeps in hand to finish the page it is on before its invocation times out.
SWEEP_MARGIN_SECONDS = 30


def due_by(moment: datetime) -> Mutation:
    """Removes an item in the trash whose purgeAt is at most PURGE_SLACK after ``moment``."""
    latest = clock.iso(moment + PURGE_SLACK)

    def purge(item: Item) -> Item | None:
        if item.live or item.purge_at is None or item.purge_at > latest:
            raise ItemRefused("not_due", f"Gallery item {item.id} is not due for purging")
        return None

    return purge


@dataclass
class SweepReport:
    purged: int = 0
    finished: bool = True  # False: time ran out with due items left (the next run takes them)


class TrashPurge:
    def __init__(
        self,
        items: ItemsRepository | None = None,
        updater: ItemUpdater | None = None,
        storage: MediaStorage | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.items = items or ItemsRepository()
        self.updater = updater or ItemUpdater(self.items)
        self.storage = storage or MediaStorage()
        self.now = now or clock.now

    def object_expired(self, key: str) -> bool:
        """S3 expired a trash object: remove its item if it is due; True when it was removed."""
        owner = trashed_object_owner(key)
        if owner is None:
            return False
        team_id, item_id = owner
        outcome = self.updater.apply(
            team_id, [item_id], due_by(self.now()), Erasing(self.storage, self.items)
        )
        return item_id not in outcome.failed

    def sweep(self, *, time_left: Callable[[], float] = lambda: float("inf")) -> SweepReport:
        """Remove every item past its purgeAt, shard by shard, while ``time_left()`` (seconds) allows."""
        report = SweepReport()
        moment = self.now()
        until = clock.iso(moment)
        for shard in range(PURGE_SHARDS):
            for page in self.items.due_for_purge(shard, until):
                if time_left() < SWEEP_MARGIN_SECONDS:
                    report.finished = False
                    return report
                by_team: dict[str, list[str]] = {}
                for team_id, item_id in page:
                    by_team.setdefault(team_id, []).append(item_id)
                for team_id, item_ids in by_team.items():
                    outcome = self.updater.apply(
                        team_id, item_ids, due_by(moment), Erasing(self.storage, self.items)
                    )
                    report.purged += sum(1 for change in outcome.changes if change.after is None)
        return report
