"""Reading items: one by id, many by id (BatchGet), and pages of an index or membership partition.

Records and index keys are described in galleria.items.records; writes go through
galleria.items.writer so counters and memberships change with them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from galleria import dynamo
from galleria.config import Settings
from galleria.domain.items import Item
from galleria.errors import NotFound
from galleria.items.records import PUBLIC_ID, from_record, item_key, item_owner, purge_shard, variants_of
from galleria.memberships import ITEM_ID, Memberships, tag_partition
from galleria.partitions import Partition, Range, key_condition
from galleria.table import TableRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_BATCH_GET_LIMIT = 100  # BatchGetItem's maximum keys per call


class ItemsRepository(TableRepository):
    def __init__(self, table_name: str | None = None, client: DynamoDBClient | None = None) -> None:
        super().__init__(table_name, client)
        self.tags = Memberships(self.table, tag_partition)
        self.reads = 0  # items read by scans of partitions (listing budgets count them)

    @staticmethod
    def default_table(settings: Settings) -> str:
        return settings.items_table

    def find(self, team_id: str, item_id: str) -> Item | None:
        response = self.client.get_item(
            TableName=self.table, Key=item_key(team_id, item_id), ConsistentRead=True
        )
        return from_record(response["Item"]) if "Item" in response else None

    def get(self, team_id: str, item_id: str) -> Item:
        item = self.find(team_id, item_id)
        if item is None:
            raise NotFound(f"Gallery item {item_id} not found")
        return item

    def find_many(self, team_id: str, item_ids: list[str]) -> list[Item]:
        """The team's items among ``item_ids``, in that order (missing ones left out); BatchGet
        reads 100 at a time."""
        unique = list(dict.fromkeys(item_ids))
        found: dict[str, Item] = {}
        for start in range(0, len(unique), _BATCH_GET_LIMIT):
            keys = [item_key(team_id, item_id) for item_id in unique[start : start + _BATCH_GET_LIMIT]]
            pending: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
            while pending:
                response = self.client.batch_get_item(RequestItems=pending)
                records = response["Responses"].get(self.table, [])
                self.reads += len(records)
                found.update((item.id, item) for item in map(from_record, records))
                pending = response.get("UnprocessedKeys") or {}
        return [found[item_id] for item_id in unique if item_id in found]

    def scan_partition(self, partition: Partition, bounds: Range, chunk: int) -> Iterator[tuple[str, Item]]:
        """Items in ``partition`` within ``bounds``, in order, with their sort position; read
        ``chunk`` records per query, lazily, so a caller that stops early reads no further."""
        condition, values = key_condition(partition, bounds)
        query: dict[str, Any] = {
            "TableName": partition.table or self.table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#pk": partition.pk_attribute}
            | ({"#sort": partition.sort_attribute} if "#sort" in condition else {}),
            "ExpressionAttributeValues": values,
            "ScanIndexForward": not bounds.newest_first,
            # The cursor's own record comes back first (key bounds are inclusive) and is dropped.
            "Limit": chunk + (bounds.after is not None),
        }
        if partition.index:
            query["IndexName"] = partition.index
        while True:
            response = self.client.query(**query)
            records = [r for r in response["Items"] if r[partition.sort_attribute]["S"] != bounds.after]
            self.reads += response.get("ScannedCount", len(response["Items"]))
            yield from self._resolve(partition, records)
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            query["Limit"] = chunk

    def find_public(self, item_id: str) -> Item | None:
        """A listed public item by id alone (any team), from the sparse PublicById index."""
        response = self.client.query(
            TableName=self.table,
            IndexName=PUBLIC_ID.name,
            KeyConditionExpression="#id = :id",
            ExpressionAttributeNames={"#id": PUBLIC_ID.partition_key},
            ExpressionAttributeValues={":id": {"S": item_id}},
            Limit=1,
        )
        items = [from_record(record) for record in response["Items"]]
        # The index follows the table by a moment: the item's own state decides.
        return next((item for item in items if item.listed and item.visibility == "public"), None)

    def variants(self, team_id: str, parent_id: str, limit: int) -> list[Item]:
        """The item's variants (live and trashed), newest first, at most ``limit``."""
        found = self.scan_partition(variants_of(team_id, parent_id), Range(), chunk=limit)
        return [item for _, item in itertools.islice(found, limit)]

    def detach_variants(self, team_id: str, parent_id: str, now: str) -> None:
        """Make the variants of an item that is gone for good roots (no parentId). The version
        bump makes a writer that read a variant before this retry rather than restore the link."""
        partition = variants_of(team_id, parent_id)
        variant_ids = [item.id for _, item in self.scan_partition(partition, Range(), chunk=100)]
        for variant_id in variant_ids:
            dynamo.update_if(  # a variant erased meanwhile is simply skipped
                self.client,
                TableName=self.table,
                Key=item_key(team_id, variant_id),
                UpdateExpression="REMOVE parent_id, parentPk SET version = version + :one, updated_at = :now",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":one": {"N": "1"}, ":now": {"S": now}},
            )

    def due_for_purge(self, shard: int, until: str, page_size: int = 100) -> Iterator[list[tuple[str, str]]]:
        """(team, item) of trashed items whose purgeAt is at or before ``until``, oldest first,
        a page at a time, from one shard of the purge index."""
        partition = purge_shard(shard)
        condition, values = key_condition(partition, Range(upper=f"{until}#~"))  # '~' sorts after every id
        query: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": partition.index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#pk": partition.pk_attribute, "#sort": partition.sort_attribute},
            "ExpressionAttributeValues": values,
            "Limit": page_size,
        }
        while True:
            response = self.client.query(**query)
            self.reads += response.get("ScannedCount", len(response["Items"]))
            if response["Items"]:
                yield [item_owner(record) for record in response["Items"]]
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _resolve(self, partition: Partition, records: list[dict[str, Any]]) -> Iterator[tuple[str, Item]]:
        positions = [record[partition.sort_attribute]["S"] for record in records]
        if not partition.members:
            yield from zip(positions, map(from_record, records), strict=True)
            return
        ids = [record[ITEM_ID]["S"] for record in records]
        items = {item.id: item for item in self.find_many(partition.team_id, ids)}
        for position, record in zip(positions, records, strict=True):
            item = items.get(record[ITEM_ID]["S"])
            if item is not None:  # removed since the membership was read
                yield position, item
