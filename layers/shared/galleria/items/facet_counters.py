"""The facet counters: per-team records in the items table, changed in the same transaction
as the items they count, so they are exact after any sequence of operations.

``TEAM#{team}/FACETS`` holds total, archived, trash, favorites and the per-type and per-model
counts; tag counts are spread over ``FACETS#TAGS#{n}`` shards so a team with many distinct tags
stays far below DynamoDB's 400 KB item limit. Counts per collection live on the collection.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from galleria import dynamo
from galleria.config import Settings
from galleria.items.changes import ARCHIVED, FAVORITES, TOTAL, TRASH, Effects
from galleria.partitions import team_partition
from galleria.table import TableRepository

TAG_SHARDS = 4
_MAIN = "FACETS"
_TYPE_PREFIX = "type#"
_MODEL_PREFIX = "model#"
_TAG_PREFIX = "tag#"


def _key(team_id: str, sort_key: str) -> dict[str, Any]:
    return {"pk": {"S": team_partition(team_id)}, "sk": {"S": sort_key}}


def _tag_shard(tag: str) -> str:
    return f"{_MAIN}#TAGS#{zlib.crc32(tag.encode()) % TAG_SHARDS}"


def _add_op(table: str, key: dict[str, Any], deltas: Counter[str]) -> dict[str, Any]:
    names = {f"#c{n}": name for n, name in enumerate(deltas)}
    values = {f":c{n}": dynamo.value(delta) for n, delta in enumerate(deltas.values())}
    return {
        "Update": {
            "TableName": table,
            "Key": key,
            "UpdateExpression": "ADD " + ", ".join(f"#c{n} :c{n}" for n in range(len(deltas))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


@dataclass(frozen=True)
class Facets:
    total: int
    types: dict[str, int]
    favorites: int
    archived: int
    trash: int
    models: dict[str, int]
    tags: dict[str, int]

    def count(self, name: str) -> int:
        """One counter by its change name (galleria.items.changes), e.g. ``type#image``."""
        if name.startswith(_TYPE_PREFIX):
            return self.types.get(name.removeprefix(_TYPE_PREFIX), 0)
        if name.startswith(_MODEL_PREFIX):
            return self.models.get(name.removeprefix(_MODEL_PREFIX), 0)
        return {TOTAL: self.total, FAVORITES: self.favorites, ARCHIVED: self.archived, TRASH: self.trash}[
            name
        ]


def _with_prefix(counts: dict[str, int], prefix: str) -> dict[str, int]:
    return {
        name.removeprefix(prefix): n for name, n in sorted(counts.items()) if name.startswith(prefix) and n
    }


class FacetCounters(TableRepository):
    @staticmethod
    def default_table(settings: Settings) -> str:
        return settings.items_table

    def update_ops(self, team_id: str, effects: Effects) -> list[dict[str, Any]]:
        """Transaction parts applying ``effects``: at most one per counter record."""
        ops = []
        main = Counter({name: delta for name, delta in effects.counters.items() if delta})
        if main:
            ops.append(_add_op(self.table, _key(team_id, _MAIN), main))
        shards: dict[str, Counter[str]] = {}
        for tag, delta in effects.tags.items():
            if delta:
                shards.setdefault(_tag_shard(tag), Counter())[f"{_TAG_PREFIX}{tag}"] = delta
        ops.extend(
            _add_op(self.table, _key(team_id, shard), deltas) for shard, deltas in sorted(shards.items())
        )
        return ops

    @staticmethod
    def shards_touched(effects: Effects) -> set[str]:
        return {_tag_shard(tag) for tag, delta in effects.tags.items() if delta}

    def read(self, team_id: str, tags: list[str] | None = None) -> Facets:
        """Every counter (one BatchGet); ``tags`` limits the shards read to those tags' shards."""
        shards = (
            {_tag_shard(tag) for tag in tags}
            if tags is not None
            else {f"{_MAIN}#TAGS#{n}" for n in range(TAG_SHARDS)}
        )
        keys = [_key(team_id, _MAIN), *(_key(team_id, shard) for shard in sorted(shards))]
        counts: dict[str, int] = {}
        pending: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
        while pending:
            response = self.client.batch_get_item(RequestItems=pending)
            for record in response["Responses"].get(self.table, []):
                values = dynamo.deserialize(record)
                counts.update({k: v for k, v in values.items() if k not in ("pk", "sk")})
            pending = response.get("UnprocessedKeys") or {}
        return Facets(
            total=counts.get(TOTAL, 0),
            types=_with_prefix(counts, _TYPE_PREFIX),
            favorites=counts.get(FAVORITES, 0),
            archived=counts.get(ARCHIVED, 0),
            trash=counts.get(TRASH, 0),
            models=_with_prefix(counts, _MODEL_PREFIX),
            tags=_with_prefix(counts, _TAG_PREFIX),
        )
