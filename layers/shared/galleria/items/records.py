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
records instead (galleria.items.memberships).
"""

from __future__ import annotations

import zlib
from typing import Any

from galleria import dynamo
from galleria.domain.items import Item

LIVE_INDEX = "LiveByDate"
TYPE_INDEX = "TypeByDate"
FAVORITE_INDEX = "FavoriteByDate"
MODEL_INDEX = "ModelByDate"
ARCHIVED_INDEX = "ArchivedByDate"
TRASH_INDEX = "TrashByDate"

PURGE_INDEX = "PurgeByTime"
PUBLIC_INDEX = "PublicByDate"
PUBLIC_PARTITION = "PUBLIC"
PARENT_INDEX = "ByParent"
PUBLIC_ID_INDEX = "PublicById"

DATE_SORT = "dateSk"
TRASH_SORT = "trashSk"
PURGE_SORT = "purgeSk"
PURGE_SHARDS = 4  # the purge index's partitions: trash writes from every team spread over them


def team_partition(team_id: str) -> str:
    return f"TEAM#{team_id}"


def item_key(team_id: str, item_id: str) -> dict[str, Any]:
    return {"pk": {"S": team_partition(team_id)}, "sk": {"S": f"ITEM#{item_id}"}}


def item_owner(key: dict[str, Any]) -> tuple[str, str]:
    """(team, item) of an item record's key (an index's KEYS_ONLY projection has nothing else)."""
    return key["pk"]["S"].removeprefix("TEAM#"), key["sk"]["S"].removeprefix("ITEM#")


def parent_partition(team_id: str, parent_id: str) -> str:
    return f"{team_partition(team_id)}#{parent_id}"


def purge_partition(shard: int) -> str:
    return f"PURGE#{shard}"


def index_keys(item: Item) -> dict[str, str]:
    """The index attributes ``item`` carries in its current state."""
    team = team_partition(item.team_id)
    keys = {DATE_SORT: item.date_key}
    if item.parent_id:
        keys["parentPk"] = parent_partition(item.team_id, item.parent_id)
    if item.listed:
        keys["livePk"] = team
        keys["typePk"] = f"{team}#{item.type}"
        keys["favoritePk"] = f"{team}#{str(item.favorite).lower()}"
        keys["modelPk"] = f"{team}#{item.model}"
        if item.visibility == "public":
            keys["publicPk"] = PUBLIC_PARTITION
            keys["publicId"] = item.id
    elif item.live:
        keys["archivedPk"] = team
    else:
        keys["trashPk"] = team
        keys[TRASH_SORT] = f"{item.deleted_at}#{item.id}"
        keys["purgePk"] = purge_partition(zlib.crc32(item.id.encode()) % PURGE_SHARDS)
        keys[PURGE_SORT] = f"{item.purge_at}#{item.id}"
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
