"""Membership records: one per (tag or collection, listed item), in the item's listing order.

Keyed ``{group partition}/{dateSk of the item}``: a tag or collection listing queries the
partition in order and reads the items with one BatchGet, so a page costs about twice the page
size in reads whatever the gallery's size. Only listed items (live, not archived) have
memberships, like the counters. Tag memberships live in the items table, collection memberships
in the collections table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from galleria.domain.items import Item
from galleria.partitions import Partition, team_partition

ITEM_ID = "itemId"
_PK = "pk"
_SK = "sk"


def tag_partition(team_id: str, tag: str) -> str:
    return f"{team_partition(team_id)}#TAG#{tag}"


def collection_partition(team_id: str, collection_id: str) -> str:
    return f"{team_partition(team_id)}#COL#{collection_id}"


@dataclass(frozen=True)
class Memberships:
    """The memberships of one kind: where they live and how a group names its partition."""

    table: str
    partition: Callable[[str, str], str]

    def _key(self, item: Item, group: str) -> dict[str, Any]:
        return {_PK: {"S": self.partition(item.team_id, group)}, _SK: {"S": item.date_key}}

    def put_op(self, item: Item, group: str) -> dict[str, Any]:
        record = {**self._key(item, group), ITEM_ID: {"S": item.id}}
        return {"Put": {"TableName": self.table, "Item": record}}

    def delete_op(self, item: Item, group: str) -> dict[str, Any]:
        return {"Delete": {"TableName": self.table, "Key": self._key(item, group)}}

    def listing(self, team_id: str, group: str) -> Partition:
        """The group's members in their items' listing order."""
        return Partition(team_id, _PK, self.partition(team_id, group), _SK, table=self.table, members=True)
