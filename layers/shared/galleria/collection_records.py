"""Data access for the collections table: the collections and their memberships.

Layout: ``TEAM#{team}/COL#{id}`` a collection; ``TEAM#{team}#COL#{id}/{dateSk}`` its memberships
(galleria.memberships), newest item last in key order. The items writer (memberships, counts,
covers) and the collections service both use it, so it lives in neither package.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from galleria import dynamo
from galleria.config import Settings
from galleria.domain.collections import Collection
from galleria.errors import InvalidRequest, NotFound
from galleria.memberships import ITEM_ID, Memberships, collection_partition
from galleria.pagination import decode_cursor, encode_cursor
from galleria.partitions import team_partition
from galleria.table import TableRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_PREFIX = "COL#"
_BATCH_GET_LIMIT = 100


def collection_key(team_id: str, collection_id: str) -> dict[str, Any]:
    return {"pk": {"S": team_partition(team_id)}, "sk": {"S": f"{_PREFIX}{collection_id}"}}


def _collection(record: dict[str, Any]) -> Collection:
    return Collection.model_validate(dynamo.deserialize(record))


@dataclass(frozen=True)
class CollectionPage:
    collections: list[Collection]
    next_cursor: str | None


class CollectionsRepository(TableRepository):
    def __init__(self, table_name: str | None = None, client: DynamoDBClient | None = None) -> None:
        super().__init__(table_name, client)
        self.memberships = Memberships(self.table, collection_partition)

    @staticmethod
    def default_table(settings: Settings) -> str:
        return settings.collections_table

    def create(self, collection: Collection) -> None:
        record = {"pk": team_partition(collection.team_id), "sk": f"{_PREFIX}{collection.id}"}
        self.client.put_item(
            TableName=self.table,
            Item=dynamo.serialize({**record, **collection.model_dump(mode="json")}),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get(self, team_id: str, collection_id: str) -> Collection:
        response = self.client.get_item(
            TableName=self.table, Key=collection_key(team_id, collection_id), ConsistentRead=True
        )
        if "Item" not in response:
            raise NotFound(f"Collection {collection_id} not found")
        return _collection(response["Item"])

    def find_many(self, team_id: str, collection_ids: list[str]) -> dict[str, Collection]:
        """The team's collections among ``collection_ids``, by id (missing ones left out)."""
        keys = [collection_key(team_id, cid) for cid in dict.fromkeys(collection_ids)]
        found: dict[str, Collection] = {}
        for start in range(0, len(keys), _BATCH_GET_LIMIT):
            pending: dict[str, Any] = {
                self.table: {"Keys": keys[start : start + _BATCH_GET_LIMIT], "ConsistentRead": True}
            }
            while pending:
                response = self.client.batch_get_item(RequestItems=pending)
                for record in response["Responses"].get(self.table, []):
                    collection = _collection(record)
                    found[collection.id] = collection
                pending = response.get("UnprocessedKeys") or {}
        return found

    def page(self, team_id: str, *, limit: int, cursor: str | None) -> CollectionPage:
        """Newest first (ids sort by creation time)."""
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": team_partition(team_id)}, ":prefix": {"S": _PREFIX}},
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }
        if cursor:
            position = decode_cursor(cursor, ("sk",))["sk"]
            if not position.startswith(_PREFIX):
                raise InvalidRequest("Invalid cursor: pass nextCursor from a previous page unchanged")
            query["ExclusiveStartKey"] = {"pk": {"S": team_partition(team_id)}, "sk": {"S": position}}
        records = self.client.query(**query)["Items"]
        collections = [_collection(record) for record in records[:limit]]
        more = len(records) > limit
        next_cursor = encode_cursor({"sk": f"{_PREFIX}{collections[-1].id}"}) if more else None
        return CollectionPage(collections=collections, next_cursor=next_cursor)

    def update_details(self, collection: Collection) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=collection_key(collection.team_id, collection.id),
            UpdateExpression="SET #name = :name, description = :description, updated_at = :updated",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#name": "name"},
            ExpressionAttributeValues={
                ":name": dynamo.value(collection.name),
                ":description": {"NULL": True}
                if collection.description is None
                else dynamo.value(collection.description),
                ":updated": dynamo.value(collection.updated_at),
            },
        )

    def delete(self, team_id: str, collection_id: str) -> None:
        self.client.delete_item(TableName=self.table, Key=collection_key(team_id, collection_id))

    def count_op(self, team_id: str, collection_id: str, delta: int) -> dict[str, Any]:
        """A transaction part changing item_count; fails if the collection was deleted meanwhile."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": collection_key(team_id, collection_id),
                "UpdateExpression": "ADD item_count :delta",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": {":delta": dynamo.value(delta)},
            }
        }

    def member_ids(self, team_id: str, collection_id: str, *, limit: int | None = None) -> list[str]:
        """Ids of the collection's listed items, newest first (all of them without ``limit``)."""
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": collection_partition(team_id, collection_id)}},
            "ProjectionExpression": ITEM_ID,
            "ScanIndexForward": False,
        }
        ids: list[str] = []
        while True:
            if limit is not None:
                query["Limit"] = limit - len(ids)
            response = self.client.query(**query)
            ids.extend(record[ITEM_ID]["S"] for record in response["Items"])
            if "LastEvaluatedKey" not in response or (limit is not None and len(ids) >= limit):
                return ids
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def refresh_cover(self, team_id: str, collection_id: str, moved: Sequence[str] | None = None) -> None:
        """Point the cover at the newest listed item (after membership changes). ``moved`` are the
        positions (membership sort keys) of the items that joined or left: when all of them sort
        before the newest member, none of them was or became the cover, which is then left as is."""
        newest = self._newest_member(team_id, collection_id)
        if moved is not None and newest is not None and max(moved, default="") < newest[0]:
            return
        update = "SET cover_item_id = :cover" if newest else "REMOVE cover_item_id"
        values: dict[str, Any] = {"ExpressionAttributeValues": {":cover": {"S": newest[1]}}} if newest else {}
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            # deleted meanwhile: nothing to cover
            self.client.update_item(
                TableName=self.table,
                Key=collection_key(team_id, collection_id),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(pk)",
                **values,
            )

    def _newest_member(self, team_id: str, collection_id: str) -> tuple[str, str] | None:
        """(position, item id) of the collection's newest listed item, as written (a strongly
        consistent read: the caller has just changed the memberships)."""
        response = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": collection_partition(team_id, collection_id)}},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        records = response["Items"]
        return (records[0]["sk"]["S"], records[0][ITEM_ID]["S"]) if records else None
