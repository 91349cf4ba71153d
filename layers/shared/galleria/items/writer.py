"""Writes item changes together with everything kept in step with them, atomically.

One change becomes the item's own parts (its record, its tag and collection memberships); a
group of changes shares one update per counter record, per collection and for the team's usage,
so a bulk operation packs many items into each transaction (at most 100 parts, DynamoDB's limit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from galleria import dynamo
from galleria.accounts.repository import AccountsRepository
from galleria.collection_records import CollectionsRepository
from galleria.config import Settings
from galleria.items.changes import Change, Effects, effects_of, listed_collections, listed_tags
from galleria.items.facet_counters import FacetCounters
from galleria.items.records import item_key, to_record
from galleria.memberships import Memberships, tag_partition
from galleria.table import TableRepository
from galleria.transactions import transact_write

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

MAX_TRANSACTION_PARTS = 100


def _total_effects(changes: list[Change]) -> Effects:
    total = Effects()
    for change in changes:
        total.add(effects_of(change))
    return total


class ItemWriter(TableRepository):
    def __init__(
        self,
        table_name: str | None = None,
        collections: CollectionsRepository | None = None,
        accounts: AccountsRepository | None = None,
        counters: FacetCounters | None = None,
        client: DynamoDBClient | None = None,
    ) -> None:
        super().__init__(table_name, client)
        self.collections = collections or CollectionsRepository(client=client)
        self.accounts = accounts or AccountsRepository(client=client)
        self.counters = counters or FacetCounters(self.table, client)
        self.tags = Memberships(self.table, tag_partition)

    @staticmethod
    def default_table(settings: Settings) -> str:
        return settings.items_table

    # --- parts -----------------------------------------------------------------------------
    def item_op(self, change: Change) -> dict[str, Any]:
        """The record's own write: created only if new, else only from the version that was read."""
        before, after = change.before, change.after
        if before is None:
            assert after is not None
            return {
                "Put": {
                    "TableName": self.table,
                    "Item": to_record(after),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        unchanged = {
            "ConditionExpression": "version = :version",
            "ExpressionAttributeValues": {":version": dynamo.value(before.version)},
        }
        if after is None:
            key = item_key(before.team_id, before.id)
            return {"Delete": {"TableName": self.table, "Key": key, **unchanged}}
        return {"Put": {"TableName": self.table, "Item": to_record(after), **unchanged}}

    def own_parts(self, change: Change) -> list[dict[str, Any]]:
        before, after = change.before, change.after
        parts = [self.item_op(change)]
        for tag in sorted(listed_tags(after) - listed_tags(before)):
            parts.append(self.tags.put_op(change.item, tag))
        for tag in sorted(listed_tags(before) - listed_tags(after)):
            parts.append(self.tags.delete_op(change.item, tag))
        members = self.collections.memberships
        for collection_id in sorted(listed_collections(after) - listed_collections(before)):
            parts.append(members.put_op(change.item, collection_id))
        for collection_id in sorted(listed_collections(before) - listed_collections(after)):
            parts.append(members.delete_op(change.item, collection_id))
        return parts

    def shared_parts(self, team_id: str, effects: Effects) -> list[dict[str, Any]]:
        parts = self.counters.update_ops(team_id, effects)
        parts.extend(
            self.collections.count_op(team_id, collection_id, delta)
            for collection_id, delta in sorted(effects.collections.items())
            if delta
        )
        if effects.touches_usage:
            parts.append(
                self.accounts.usage_op(
                    team_id,
                    storage=effects.storage_bytes,
                    items=effects.item_count,
                    trash=effects.trash_bytes,
                )
            )
        return parts

    def _shared_count(self, effects: Effects) -> int:
        counters = any(effects.counters.values()) + len(FacetCounters.shards_touched(effects))
        collections = sum(1 for delta in effects.collections.values() if delta)
        return counters + collections + effects.touches_usage

    def without_missing_collections(self, team_id: str, changes: list[Change]) -> list[Change]:
        """Changes whose item joins a collection that no longer exists (deleted while the item was
        trashed or archived) drop that collection rather than fail."""
        joining = {
            collection_id
            for change in changes
            for collection_id in listed_collections(change.after) - listed_collections(change.before)
        }
        if not joining:
            return changes
        existing = set(self.collections.find_many(team_id, sorted(joining)))
        missing = joining - existing
        if not missing:
            return changes
        return [
            Change(
                change.before,
                change.after.model_copy(
                    update={"collections": [c for c in change.after.collections if c not in missing]}
                ),
            )
            if change.after is not None
            else change
            for change in changes
        ]

    # --- packing and writing ---------------------------------------------------------------
    def batches(self, changes: list[Change]) -> list[list[Change]]:
        """Changes packed greedily into groups whose transaction stays within 100 parts."""
        groups: list[list[Change]] = []
        current: list[Change] = []
        current_effects = Effects()
        own = 0
        for change in changes:
            change_effects = effects_of(change)
            trial = Effects()
            trial.add(current_effects)
            trial.add(change_effects)
            change_own = len(self.own_parts(change))
            if current and own + change_own + self._shared_count(trial) > MAX_TRANSACTION_PARTS:
                groups.append(current)
                current, current_effects, own = [], Effects(), 0
                current_effects.add(change_effects)
            else:
                current_effects = trial
            current.append(change)
            own += change_own
        if current:
            groups.append(current)
        return groups

    def parts(self, team_id: str, changes: list[Change]) -> list[dict[str, Any]]:
        """Every part of one transaction writing ``changes``; each change's item op comes first
        among its own parts, in the order of ``changes``."""
        parts = [part for change in changes for part in self.own_parts(change)]
        return parts + self.shared_parts(team_id, _total_effects(changes))

    def write(self, team_id: str, changes: list[Change], *, covers: bool = True) -> None:
        """Write one batch atomically; raises TransactionCancelled when a condition fails.
        Collections whose members changed get their cover (newest listed item) refreshed after,
        unless ``covers`` is False: the caller then calls refresh_covers once for several batches."""
        if not changes:
            return
        transact_write(self.parts(team_id, changes), self._client)
        if covers:
            self.refresh_covers(team_id, changes)

    def refresh_covers(self, team_id: str, changes: list[Change]) -> None:
        """Refresh the cover of each collection that items joined or left in ``changes``."""
        moved: dict[str, list[str]] = {}  # collection -> positions of the items that joined or left
        for change in changes:
            for collection_id in listed_collections(change.before) ^ listed_collections(change.after):
                moved.setdefault(collection_id, []).append(change.item.date_key)
        for collection_id, positions in sorted(moved.items()):
            self.collections.refresh_cover(team_id, collection_id, positions)
