"""How an item is stored: its record in the items table and the keys of the indexes it is in.

Every listing reads one partition in ``dateSk`` order (``{createdAt}#{id}``), so a page costs
page-size reads whatever the gallery's size. Each index is sparse: an item carries an index's
partition attribute only while it belongs in it.

| index            | partition attribute            | holds                                  |
|------------------|--------------------------------|----------------------------------------|
| LiveByDate       | ``livePk = TEAM#{team}``        | listed items (live, not archived)      |
| TypeByDate       | ``typePk = TEAM#{team}#{type}`` | listed items of one type               |
| FavoriteByDate   | ``favoritePk = TEAM#{team}#{true|false}`` | listed items by favorite     |
| ModelByDate      | ``modelPk = TEAM#{team}#{model}`` | listed items of one model            |
| ArchivedByDate   | ``archivedPk = TEAM#{team}``    | archived live items                    |
| TrashByDate      | ``trashPk = TEAM#{team}``, sorted by ``trashSk = {deletedAt}#{id}`` | the trash |
| PurgeByTime      | ``purgePk = PURGE#{shard}``, sorted by ``purgeSk = {purgeAt}#{id}`` | all trash |
| PublicByDate     | ``publicPk = PUBLIC``           | every team's listed public items (the public feed) |
| PublicById       | ``publicId = {id}`` (hash only) | the same items, by id: the feed's image links |
| ByParent         | ``parentPk = TEAM#{team}#{parent}`` | an item's variants (edits, derived images) |

Tags and collections are many per item, which one index key cannot hold: they have membership
records instead (galleria.memberships).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from galleria import dynamo
from galleria.domain.items import Item
from galleria.partitions import Partition, team_partition

DATE_SORT = "dateSk"
PUBLIC_PARTITION = "PUBLIC"
PURGE_SHARDS = 4  # the purge index's partitions: trash writes from every team spread over them


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str = DATE_SORT

    def partition(self, team_id: str, value: str) -> Partition:
        return Partition(team_id, self.partition_key, value, self.sort_key, index=self.name)


LIVE = Index("LiveByDate", "livePk")
TYPE = Index("TypeByDate", "typePk")
FAVORITE = Index("FavoriteByDate", "favoritePk")
MODEL = Index("ModelByDate", "modelPk")
ARCHIVED = Index("ArchivedByDate", "archivedPk")
TRASH = Index("TrashByDate", "trashPk", "trashSk")
PURGE = Index("PurgeByTime", "purgePk", "purgeSk")
PUBLIC = Index("PublicByDate", "publicPk")
PUBLIC_ID = Index("PublicById", "publicId")  # hash key only: the sort key is unused
PARENT = Index("ByParent", "parentPk")


# --- the partitions a listing reads ------------------------------------------------------------
def listed(team_id: str) -> Partition:
    return LIVE.partition(team_id, team_partition(team_id))


def of_type(team_id: str, item_type: str) -> Partition:
    return TYPE.partition(team_id, f"{team_partition(team_id)}#{item_type}")


def by_favorite(team_id: str, favorite: bool) -> Partition:
    return FAVORITE.partition(team_id, f"{team_partition(team_id)}#{str(favorite).lower()}")


def of_model(team_id: str, model: str) -> Partition:
    return MODEL.partition(team_id, f"{team_partition(team_id)}#{model}")


def archived(team_id: str) -> Partition:
    return ARCHIVED.partition(team_id, team_partition(team_id))


def trashed(team_id: str) -> Partition:
    """Newest deletion first (sorted by ``{deletedAt}#{id}``)."""
    return TRASH.partition(team_id, team_partition(team_id))


def variants_of(team_id: str, parent_id: str) -> Partition:
    return PARENT.partition(team_id, f"{team_partition(team_id)}#{parent_id}")


def purge_shard(shard: int) -> Partition:
    return PURGE.partition("", f"PURGE#{shard}")


PUBLIC_FEED = PUBLIC.partition("", PUBLIC_PARTITION)


def item_key(team_id: str, item_id: str) -> dict[str, Any]:
    return {"pk": {"S": team_partition(team_id)}, "sk": {"S": f"ITEM#{item_id}"}}


def item_owner(key: dict[str, Any]) -> tuple[str, str]:
    """(team, item) of an item record's key (an index's KEYS_ONLY projection has nothing else)."""
    return key["pk"]["S"].removeprefix("TEAM#"), key["sk"]["S"].removeprefix("ITEM#")


def index_keys(item: Item) -> dict[str, str]:
    """The index attributes ``item`` carries in its current state."""
    keys = {DATE_SORT: item.date_key}
    partitions: list[Partition] = []
    if item.parent_id:
        partitions.append(variants_of(item.team_id, item.parent_id))
    if item.listed:
        partitions += [
            listed(item.team_id),
            of_type(item.team_id, item.type),
            by_favorite(item.team_id, item.favorite),
            of_model(item.team_id, item.model),
        ]
        if item.visibility == "public":
            partitions.append(PUBLIC_FEED)
            keys[PUBLIC_ID.partition_key] = item.id
    elif item.live:
        partitions.append(archived(item.team_id))
    else:
        partitions += [trashed(item.team_id), purge_shard(zlib.crc32(item.id.encode()) % PURGE_SHARDS)]
        keys[TRASH.sort_key] = f"{item.deleted_at}#{item.id}"
        keys[PURGE.sort_key] = f"{item.purge_at}#{item.id}"
    keys.update((partition.pk_attribute, partition.pk_value) for partition in partitions)
    return keys


def to_record(item: Item) -> dict[str, Any]:
    return dynamo.serialize(
        {
            "pk": team_partition(item.team_id),
            "sk": f"ITEM#{item.id}",
            **item.model_dump(mode="json"),
            **index_keys(item),
        }
    )


def from_record(record: dict[str, Any]) -> Item:
    return Item.model_validate(dynamo.deserialize(record))
