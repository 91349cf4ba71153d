"""Changing existing items safely: read, decide, write only if nobody changed them meanwhile.

Every change to an item (PATCH, favorite, trash, restore, permanent delete, bulk tag, collect)
goes through ItemUpdater.apply: items are read in one BatchGet, a mutation decides each one's new
state (or refuses it), and the writes are packed into as few transactions as possible, each
conditional on the versions read. A transaction that loses a race is re-read and retried, so
concurrent requests never lose an update.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from galleria import backoff, clock
from galleria.domain.items import Item
from galleria.items.changes import Change
from galleria.items.repository import ItemsRepository
from galleria.items.writer import ItemWriter
from galleria.transactions import TransactionCancelled

# Fifty requests changing one item at once each win within this budget: every lost race means
# another request's write landed, and the jittered pauses (at most ~6 s in all) spread them out.
MAX_ATTEMPTS = 16


class ItemRefused(Exception):
    """A mutation's refusal of one item: ``code`` goes into the per-id failure list."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# The new state of an item (None: remove it for good); the same item when nothing changes.
Mutation = Callable[[Item], Item | None]


class SideEffects:
    """Work outside DynamoDB around the writes (S3 objects for trash and restore)."""

    def before_write(self, changes: list[Change]) -> dict[str, ItemRefused]:
        """Prepare; the refusals returned (by id) are left out of the write."""
        return {}

    def after_write(self, changes: list[Change]) -> None:
        """Finish for the changes written."""

    def abandon(self, changes: list[Change], current: Mapping[str, Item]) -> None:
        """Undo ``before_write`` for changes that were prepared but never written; ``current`` is
        each item's state read afterwards (missing: the item is gone), so that work another
        request now relies on is kept."""


@dataclass
class Outcome:
    changes: list[Change] = field(default_factory=list)
    failed: dict[str, ItemRefused] = field(default_factory=dict)

    @property
    def items(self) -> list[Item]:
        return [change.after for change in self.changes if change.after is not None]


def _stamped(before: Item, after: Item | None) -> Item | None:
    if after is None:
        return None
    return after.model_copy(update={"version": before.version + 1, "updated_at": clock.now_iso()})


class ItemUpdater:
    def __init__(self, items: ItemsRepository | None = None, writer: ItemWriter | None = None) -> None:
        self.items = items or ItemsRepository()
        self.writer = writer or ItemWriter()

    def apply(
        self,
        team_id: str,
        item_ids: list[str],
        mutate: Mutation,
        side_effects: SideEffects | None = None,
    ) -> Outcome:
        side_effects = side_effects or SideEffects()
        outcome = Outcome()
        unchanged: dict[str, Change] = {}
        prepared: dict[str, Change] = {}  # before_write ran, not written (yet)
        pending = list(dict.fromkeys(item_ids))
        for attempt in range(MAX_ATTEMPTS):
            # A collection deleted meanwhile fails its count's condition, cancelling the write: only
            # then is it worth reading which of the collections items join still exist.
            changes = self._decide(
                team_id, pending, mutate, outcome, unchanged, check_collections=attempt > 0
            )
            outcome.failed.update(side_effects.before_write(changes))
            prepared.update((change.item.id, change) for change in changes)
            changes = [change for change in changes if change.item.id not in outcome.failed]
            lost: list[Change] = []
            written: list[Change] = []
            for batch in self.writer.batches(changes):
                try:
                    self.writer.write(team_id, batch, covers=False)
                except TransactionCancelled:
                    lost.extend(batch)
                    continue
                written.extend(batch)
                for change in batch:
                    prepared.pop(change.item.id)
            # Once for every batch written: S3 deletes 1,000 objects a call, a cover is one read.
            side_effects.after_write(written)
            self.writer.refresh_covers(team_id, written)
            outcome.changes.extend(written)
            pending = [change.item.id for change in lost]
            if not pending:
                break
            if attempt == MAX_ATTEMPTS - 1:
                for item_id in pending:
                    outcome.failed[item_id] = ItemRefused("conflict", "The item kept changing; try again")
            else:
                backoff.pause(attempt, base=0.02, cap=0.5)
        if prepared:  # refused part-way, lost to a race and then refused, or out of attempts
            current = {item.id: item for item in self.items.find_many(team_id, list(prepared))}
            side_effects.abandon(list(prepared.values()), current)
        outcome.changes.extend(unchanged.values())
        order = {item_id: n for n, item_id in enumerate(item_ids)}
        outcome.changes.sort(key=lambda change: order[change.item.id])
        return outcome

    def _decide(
        self,
        team_id: str,
        item_ids: list[str],
        mutate: Mutation,
        outcome: Outcome,
        unchanged: dict[str, Change],
        *,
        check_collections: bool,
    ) -> list[Change]:
        found = {item.id: item for item in self.items.find_many(team_id, item_ids)}
        changes = []
        for item_id in item_ids:
            before = found.get(item_id)
            if before is None:
                outcome.failed[item_id] = ItemRefused("not_found", f"Gallery item {item_id} not found")
                continue
            try:
                after = mutate(before)
            except ItemRefused as refusal:
                outcome.failed[item_id] = refusal
                continue
            if after == before:
                unchanged[item_id] = Change(before, before)
                continue
            changes.append(Change(before, _stamped(before, after)))
        return self.writer.without_missing_collections(team_id, changes) if check_collections else changes
