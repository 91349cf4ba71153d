"""Data access for the items table.

Layout: ``TEAM#{team}/ITEM#{id}`` per item. The sparse index LiveByDate holds only live
items (``livePk`` is removed on trash), ordered by ``liveSk = {createdAt}#{id}``, so a
listing page reads page-size items whatever the size of the gallery or its trash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from galleria import aws, dynamo
from galleria.config import get_settings
from galleria.domain.items import Item
from galleria.errors import NotFound
from galleria.pagination import decode_cursor, encode_cursor

LIVE_INDEX = "LiveByDate"
_BATCH_GET_LIMIT = 100  # BatchGetItem's maximum keys per call


@dataclass(frozen=True)
class Page:
    items: list[Item]
    next_cursor: str | None


def item_key(team_id: str, item_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"TEAM#{team_id}"}, "sk": {"S": f"ITEM#{item_id}"}}


def _record(item: Item) -> dict[str, Any]:
    record = {"pk": f"TEAM#{item.team_id}", "sk": f"ITEM#{item.id}", **item.model_dump(mode="json")}
    if item.live:
        record["livePk"] = f"TEAM#{item.team_id}"
        record["liveSk"] = f"{item.created_at}#{item.id}"
    return record


def _item(record: dict[str, Any]) -> Item:
    return Item.model_validate(dynamo.deserialize(record))


def item_cursor(last: Item) -> str:
    return encode_cursor({"liveSk": f"{last.created_at}#{last.id}", "sk": f"ITEM#{last.id}"})


def _start_key(cursor: str, team_id: str) -> dict[str, Any]:
    position = decode_cursor(cursor, ("liveSk", "sk"))
    team_pk = {"S": f"TEAM#{team_id}"}
    return {
        "livePk": team_pk,
        "liveSk": {"S": position["liveSk"]},
        "pk": team_pk,
        "sk": {"S": position["sk"]},
    }


class ItemsRepository:
    def __init__(self, table_name: str | None = None, client: Any | None = None) -> None:
        self.table = table_name or get_settings().items_table
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws.client("dynamodb")

    def put_new_op(self, item: Item) -> dict[str, Any]:
        """A transaction part that creates the item unless it already exists (redelivery)."""
        return {
            "Put": {
                "TableName": self.table,
                "Item": dynamo.serialize(_record(item)),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def find(self, team_id: str, item_id: str) -> Item | None:
        response = self.client.get_item(TableName=self.table, Key=item_key(team_id, item_id))
        return _item(response["Item"]) if "Item" in response else None

    def find_many(self, team_id: str, item_ids: list[str]) -> list[Item]:
        """The team's items among ``item_ids`` (missing ones left out), BatchGetItem 100 at a time."""
        keys = [item_key(team_id, item_id) for item_id in dict.fromkeys(item_ids)]
        found: list[Item] = []
        for start in range(0, len(keys), _BATCH_GET_LIMIT):
            pending: dict[str, Any] = {self.table: {"Keys": keys[start : start + _BATCH_GET_LIMIT]}}
            while pending:
                response = self.client.batch_get_item(RequestItems=pending)
                found.extend(_item(record) for record in response["Responses"].get(self.table, []))
                pending = response.get("UnprocessedKeys") or {}
        return found

    def get(self, team_id: str, item_id: str) -> Item:
        item = self.find(team_id, item_id)
        if item is None:
            raise NotFound(f"Gallery item {item_id} not found")
        return item

    def list_live(self, team_id: str, *, limit: int, cursor: str | None, skip: int = 0) -> Page:
        """Newest first. ``skip`` serves page numbers without a cursor (reads the skipped keys)."""
        start = _start_key(cursor, team_id) if cursor else None
        query: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": LIVE_INDEX,
            "KeyConditionExpression": "livePk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"TEAM#{team_id}"}},
            "ScanIndexForward": False,
        }
        while skip > 0:
            skipped = self.client.query(
                **query,
                Limit=skip,
                ProjectionExpression="pk, sk, livePk, liveSk",
                **({"ExclusiveStartKey": start} if start else {}),
            )
            skip -= len(skipped["Items"])
            start = skipped.get("LastEvaluatedKey")
            if start is None:
                return Page(items=[], next_cursor=None)
        # One item more than the page tells whether another page exists, so the last page
        # never hands out a cursor that leads to an empty page.
        response = self.client.query(
            **query, Limit=limit + 1, **({"ExclusiveStartKey": start} if start else {})
        )
        items = [_item(record) for record in response["Items"]]
        if len(items) > limit:
            return Page(items=items[:limit], next_cursor=item_cursor(items[limit - 1]))
        return Page(items=items, next_cursor=None)
