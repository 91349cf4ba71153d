"""Every filter of ``GET /api/v1/gallery`` against a brute-force recount, over a 1,250-item gallery.

The gallery (images and videos, four models, tags common and rare, favorites, ratings, titles,
archived items, three collections and an empty one, creation times over 60 days with exact day
boundaries and same-millisecond ties) is written the way the generation worker writes items
(ItemWriter: counters and memberships in the same transactions), then changed through the API:
PATCH, favorite toggles, collection membership, bulk tags, trash, bulk trash, restores. The test
keeps its own copy of every item and recomputes each listing from it by brute force:

* each filter alone and ~25 combinations, walked by cursor newest first and oldest first: the ids
  in order (createdAt, then id), each once, ``total`` on every page, every item's fields;
* page-number walks; the facets; the trash (newest deletion first);
* cursor walks while items are being created, and another team's view of the same filters.

Mismatches are collected and reported together, so one run shows every listing that disagrees.
The ``quick_moto`` fixture takes moto's slowest paths out of the way (see its docstring).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from galleria import clock, ids
from galleria.config import get_settings
from galleria.domain.items import Item, Rendition
from galleria.items.changes import Change
from galleria.items.writer import ItemWriter
from galleria.storage import item_object_key

SEED = 20240301
ITEM_COUNT = 1_250  # > 1,000 listed: a listing that filters as it reads runs out of its read budget
START = datetime(2024, 3, 1, tzinfo=UTC)
DAYS = 60
NEWEST = "newest"
OLDEST = "oldest"

MODELS = {  # model: weight
    "google/gemini-2.5-flash-image": 50,
    "openai/gpt-image-1": 30,
    "bfl/flux-pro-1.1": 15,
    "bfl/flux-dev": 5,
}
TAGS = {  # tag: share of items carrying it ("art" is on most items, "unicorn" on a handful)
    "art": 0.62,
    "landscape": 0.30,
    "portrait": 0.22,
    "sunset": 0.18,
    "city": 0.15,
    "night": 0.12,
    "ocean": 0.10,
    "forest": 0.10,
    "neon": 0.07,
    "macro": 0.04,
    "unicorn": 0.006,
}
SUBJECTS = ["Sunset over mountains", "a CITY at night", "Portrait of a fox", "forest path in fog",
            "Ocean waves", "neon street", "macro shot of a bee", "Desert dunes", "snowy cabin",
            "old lighthouse"]  # fmt: skip
STYLES = ["in watercolor", "Oil Painting", "photorealistic", "pixel art", "ink sketch", ""]
TITLE_WORDS = ["Dawn", "Dusk", "Reverie", "Zephyrine", "Quiet", "Echo", "Ember", "Lumen"]
TITLE_ONLY = "zephyrine"  # in some titles, never in a prompt
BOOKEND = "bookend"  # in the titles of the 10 oldest and the 10 newest items only
VIDEO_SHARE = 0.2
FAVORITE_SHARE = 0.25
ARCHIVED_SHARE = 0.07
FRESH_MODEL = "bfl/flux-dev"  # the model of the items made during cursor walks
ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


# --- moto, made fast enough for a 1,000-item gallery ------------------------------------------


@pytest.fixture
def quick_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shortcuts through moto's slow paths, none changing what DynamoDB answers (moto as shipped
    takes over ten minutes for this test).

    * TransactWriteItems backs every table up with a deep copy once per *part* (a 100-part
      transaction copies a 5,000-record table up to 100 times) to roll back a failed transaction.
      The backup here is copy-on-write: new containers holding the same records, with deep copies
      of just the records the transaction's Update parts change in place (Put and Delete replace or
      drop records, leaving the backup's own untouched). A rollback still swaps the backup in.
    * A Query sorts the whole table and compares every record with the partition key, then sorts
      the partition by the index keys with DynamoType comparisons. Here it starts from just the
      records whose partition attribute holds that string, already in the order of their (string)
      keys; moto still checks and sorts them, now in linear time.
    * A Query deep-copies its results (serialized at once, never changed) and sizes every record
      it passes (twice); here it hands them on as they are, and a record's size is remembered
      until the next UpdateItem (the only write that changes a record in place).
    * Reads answer through moto's generic shape-driven serializer (~20 ms per item); for Query,
      GetItem and BatchGetItem its output is the result as JSON, written here directly.
    """
    try:
        from moto.dynamodb import models as dynamodb_models
        from moto.dynamodb.models import table as table_module
        from moto.dynamodb.models.dynamo_type import DynamoType
        from moto.dynamodb.models.dynamo_type import Item as Record
        from moto.dynamodb.models.table import Table
        from moto.dynamodb.responses import DynamoResult
    except ImportError:  # another moto layout: run slowly rather than wrongly
        return

    updating: list[dict[str, Any]] = []  # the Update parts of the transaction being written

    def backup(table: Any) -> Any:
        if not table.range_key_attr:
            return copy.deepcopy(table)
        clone = copy.copy(table)
        clone.items = defaultdict(dict, {key: dict(rows) for key, rows in table.items.items()})
        for op in updating:
            if op["TableName"] != table.name:
                continue
            rows = clone.items.get(DynamoType(op["Key"][table.hash_key_attr]), {})
            sort_key = DynamoType(op["Key"][table.range_key_attr])
            if sort_key in rows:
                rows[sort_key] = copy.deepcopy(rows[sort_key])
        return clone

    class BackupCopies:
        copy = staticmethod(copy.copy)

        @staticmethod
        def deepcopy(value: Any) -> Any:
            return backup(value) if isinstance(value, Table) else copy.deepcopy(value)

    transact = dynamodb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        updating[:] = [part["Update"] for part in transact_items if "Update" in part]
        try:
            return transact(self, transact_items)
        finally:
            updating.clear()

    query = Table.query
    all_items = Table.all_items
    record_size = Record.size
    querying: list[
        tuple[Any, Any, str | None, list[tuple[str, Any]]]
    ] = []  # (table, hash key, index, conditions)
    sizes: dict[int, tuple[Any, int]] = {}

    def in_key_order(records: list[Any], names: list[str]) -> list[Any]:
        def key(record: Any) -> tuple[str, ...]:
            values = [record.attrs.get(name) for name in names]
            return tuple(v.value if v is not None and v.type == "S" else "" for v in values)

        return sorted(records, key=key)

    def partition_items(self: Any) -> list[Any]:
        asked = next((q for q in reversed(querying) if q[0] is self), None)
        if asked is None or not self.range_key_attr:
            return all_items(self)  # scans page through the sorted order
        _, hash_key, index_name, conditions = asked
        if index_name is None:  # the table's own partition
            return in_key_order(list(self.items.get(hash_key, {}).values()), [self.range_key_attr])
        records = [record for rows in self.items.values() for record in rows.values()]
        for name, value in conditions:  # string keys compare exactly; moto checks again
            if value.type == "S":
                records = [
                    r for r in records if (a := r.attrs.get(name)) is not None and a.value == value.value
                ]
        schema = self.get_index(index_name).schema
        names = [k["AttributeName"] for kind in ("HASH", "RANGE") for k in schema if k["KeyType"] == kind]
        return in_key_order(records, [*names, self.hash_key_attr, self.range_key_attr])

    def query_partition(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = list(kwargs.get("hash_key_conditions") or [])
        querying.append((self, hash_key, index_name, conditions))
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            querying.pop()

    update = dynamodb_models.DynamoDBBackend.update_item

    def update_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return update(self, *args, **kwargs)
        finally:
            sizes.clear()  # the only write that changes a record in place

    def size_once(self: Any) -> int:
        if not querying:
            return record_size(self)
        kept = sizes.get(id(self))
        if kept is None or kept[0] is not self:
            kept = sizes[id(self)] = (self, record_size(self))
        return kept[1]

    class ResultCopies:
        copy = staticmethod(copy.copy)

        @staticmethod
        def deepcopy(value: Any) -> Any:
            return list(value) if querying and isinstance(value, list) else copy.deepcopy(value)

    serialize = DynamoResult.execute_result
    direct = {"Query", "GetItem", "BatchGetItem"}

    def execute_result(self: Any, context: Any) -> Any:
        if context.operation_model.name in direct:
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(self.result)
        return serialize(self, context)

    monkeypatch.setattr(dynamodb_models, "copy", BackupCopies)
    monkeypatch.setattr(dynamodb_models.DynamoDBBackend, "transact_write_items", transact_write_items)
    monkeypatch.setattr(Table, "all_items", partition_items)
    monkeypatch.setattr(Table, "query", query_partition)
    monkeypatch.setattr(Record, "size", size_once)
    monkeypatch.setattr(dynamodb_models.DynamoDBBackend, "update_item", update_item)
    monkeypatch.setattr(table_module, "copy", ResultCopies)
    monkeypatch.setattr(DynamoResult, "execute_result", execute_result)


# --- the reference model ----------------------------------------------------------------------


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _is_bare_date(value: str) -> bool:
    return len(value) == len("2024-01-15")


def _at(value: str) -> datetime:
    moment = _instant(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def reference_predicate(params: dict[str, str]) -> Callable[[Item], bool]:
    """What ``GET /api/v1/gallery`` with ``params`` should list, read off the contract, item by item."""
    wanted_type = params.get("type")
    tags = [tag.strip().lower() for tag in params.get("tags", "").split(",") if tag.strip()]
    collection = params.get("collection")
    search = params.get("search", "").strip().lower()
    model = params.get("model")
    favorite = {"true": True, "false": False}.get(params.get("favorite", ""))
    min_rating = int(params.get("minRating", "0"))
    archived = params.get("archived") == "true"
    lower = _at(params["from"]) if "from" in params else None
    upper: datetime | None = None
    upper_exclusive = False
    if "to" in params:
        upper = _at(params["to"])
        if _is_bare_date(params["to"]):  # the whole day: before the next midnight
            upper, upper_exclusive = upper + timedelta(days=1), True

    def matches(item: Item) -> bool:
        created = _instant(item.created_at)
        return (
            item.deleted_at is None
            and item.archived == archived
            and (wanted_type is None or item.type == wanted_type)
            and all(tag in item.tags for tag in tags)
            and (collection is None or collection in item.collections)
            and (not search or search in item.prompt.lower() or search in (item.title or "").lower())
            and (model is None or item.model == model)
            and (favorite is None or item.favorite == favorite)
            and item.rating >= min_rating
            and (lower is None or created >= lower)
            and (upper is None or (created < upper if upper_exclusive else created <= upper))
        )

    return matches


@dataclass
class Reference:
    """The gallery as the test made it: every item of one team, by id, in its current state."""

    items: dict[str, Item] = field(default_factory=dict)
    collections: list[str] = field(default_factory=list)

    def add(self, item: Item) -> None:
        self.items[item.id] = item

    def change(self, item_id: str, **fields: Any) -> Item:
        self.items[item_id] = self.items[item_id].model_copy(update=fields)
        return self.items[item_id]

    def listing(self, params: dict[str, str], sort: str = NEWEST) -> list[str]:
        matches = reference_predicate(params)
        found = sorted(
            (item for item in self.items.values() if matches(item)),
            key=lambda item: (item.created_at, item.id),
            reverse=sort == NEWEST,
        )
        return [item.id for item in found]

    def trash(self) -> list[str]:
        trashed = [item for item in self.items.values() if item.deleted_at is not None]
        trashed.sort(key=lambda item: (item.deleted_at or "", item.id), reverse=True)
        return [item.id for item in trashed]

    def facets(self) -> dict[str, Any]:
        listed = [i for i in self.items.values() if i.deleted_at is None and not i.archived]
        return {
            "total": len(listed),
            "types": dict(Counter(i.type for i in listed)),
            "favorites": sum(i.favorite for i in listed),
            "archived": sum(1 for i in self.items.values() if i.deleted_at is None and i.archived),
            "trash": len(self.trash()),
            "models": dict(Counter(i.model for i in listed)),
            "tags": dict(Counter(tag for i in listed for tag in i.tags)),
            "collections": {c: sum(c in i.collections for i in listed) for c in self.collections},
        }

    def pick(self, rng: random.Random, n: int, where: Callable[[Item], bool]) -> list[str]:
        candidates = sorted(item_id for item_id, item in self.items.items() if where(item))
        return rng.sample(candidates, min(n, len(candidates)))


def live(item: Item) -> bool:
    return item.deleted_at is None


def listed(item: Item) -> bool:
    return item.deleted_at is None and not item.archived


# --- soft checks --------------------------------------------------------------------------------


@dataclass
class Checks:
    """Mismatches found so far; the test fails at the end with all of them."""

    failures: list[str] = field(default_factory=list)
    count: int = 0

    def expect(self, condition: bool, message: str) -> bool:
        self.count += 1
        if not condition:
            self.failures.append(message)
        return condition

    def equal(self, actual: Any, expected: Any, what: str) -> bool:
        return self.expect(actual == expected, f"{what}: got {_short(actual)}, expected {_short(expected)}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else text[:300] + "…"


def _diff(actual: list[str], expected: list[str]) -> str:
    first = next(
        (n for n, (a, b) in enumerate(zip(actual, expected, strict=False)) if a != b),
        min(len(actual), len(expected)),
    )
    missing = len(set(expected) - set(actual))
    extra = len(set(actual) - set(expected))
    dupes = len(actual) - len(set(actual))
    return (
        f"{len(actual)} ids, expected {len(expected)}; first difference at {first}; "
        f"{missing} missing, {extra} unexpected, {dupes} repeated"
    )


# --- building the gallery ---------------------------------------------------------------------


def make_item(
    rng: random.Random,
    team_id: str,
    created: datetime,
    *,
    type_: str = "image",
    prompt: str = "a picture",
    title: str | None = None,
    model: str = "google/gemini-2.5-flash-image",
    tags: list[str] | None = None,
    favorite: bool = False,
    rating: int = 0,
    archived: bool = False,
    collections: list[str] | None = None,
) -> Item:
    """An item as the worker stores it (id time-sortable from its creation time)."""
    time_part = ids.new_id(ids.ITEM, at_ms=int(created.timestamp() * 1000))[: len("gal_") + 10]
    item_id = time_part + "".join(rng.choices(ID_ALPHABET, k=16))  # reproducible, still time-sortable
    mime = "image/png" if type_ == "image" else "video/mp4"
    keys = {
        rendition: item_object_key(team_id, item_id, rendition, mime)
        for rendition in (Rendition.ORIGINAL, Rendition.THUMB_256, Rendition.THUMB_512)
    }
    stamp = clock.iso(created)
    return Item(
        id=item_id,
        team_id=team_id,
        type=type_,
        prompt=prompt,
        title=title,
        model=model,
        width=1024,
        height=1024,
        mime_type=mime,
        file_size=1000,
        tags=tags or [],
        favorite=favorite,
        collections=collections or [],
        rating=rating,
        archived=archived,
        sha256=hashlib.sha256(item_id.encode()).hexdigest(),
        object_keys=keys,
        storage_bytes=1500,
        created_at=stamp,
        updated_at=stamp,
    )


def random_item(rng: random.Random, team_id: str, created: datetime, collections: list[str]) -> Item:
    weights = {"travel": 0.15, "keepers": 0.58, "night": 0.05}  # "keepers" holds most items
    title = None
    if rng.random() < 0.3:
        title = " ".join(rng.sample(TITLE_WORDS, 2)).title()
    return make_item(
        rng,
        team_id,
        created,
        type_="video" if rng.random() < VIDEO_SHARE else "image",
        prompt=f"{rng.choice(SUBJECTS)} {rng.choice(STYLES)}".strip(),
        title=title,
        model=rng.choices(list(MODELS), weights=list(MODELS.values()))[0],
        tags=[tag for tag, share in TAGS.items() if rng.random() < share],
        favorite=rng.random() < FAVORITE_SHARE,
        rating=rng.choice([0, 0, 1, 2, 3, 3, 4, 5]),
        archived=rng.random() < ARCHIVED_SHARE,
        collections=[c for c, name in zip(collections, weights, strict=True) if rng.random() < weights[name]],
    )


def creation_times(rng: random.Random) -> list[datetime]:
    """Distinct milliseconds over DAYS days, plus exact day boundaries and three same-millisecond
    groups (their order is decided by id)."""
    span_ms = DAYS * 86_400_000
    moments = [START + timedelta(milliseconds=ms) for ms in rng.sample(range(span_ms), ITEM_COUNT - 16)]
    for day in (10, 11, 30):
        midnight = START + timedelta(days=day)
        moments += [midnight, midnight - timedelta(milliseconds=1)]  # 00:00:00.000 and 23:59:59.999
    for day in (5, 20, 45):
        tie = START + timedelta(days=day, hours=12, milliseconds=345)
        moments += [tie, tie, tie]
    moments.append(START + timedelta(days=DAYS - 1, hours=23, minutes=59, seconds=59, milliseconds=999))
    return moments


def build_gallery(rng: random.Random, team_id: str, collections: list[str]) -> list[Item]:
    made = sorted(
        (random_item(rng, team_id, moment, collections) for moment in creation_times(rng)),
        key=lambda item: (item.created_at, item.id),
    )
    for n in [*range(10), *range(-10, 0)]:  # over 1,000 items between them
        made[n] = made[n].model_copy(update={"title": f"{BOOKEND.title()} {n}"})
    return made


def write_items(team_id: str, items: list[Item]) -> None:
    writer = ItemWriter()
    for batch in writer.batches([Change(None, item) for item in items]):
        writer.write(team_id, batch)


def put_objects(items: list[Item]) -> None:
    """The media a trash or restore moves (S3 copies refuse missing sources)."""
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = get_settings().media_bucket
    for item in items:
        for key in item.object_keys.values():
            s3.put_object(Bucket=bucket, Key=key, Body=b"media")


# --- the API ------------------------------------------------------------------------------------


def api(stack: Any, method: str, path: str, key: str, **kwargs: Any) -> Any:
    response = stack.request(method, path, key=key, **kwargs)
    assert 200 <= response.status < 300, f"{method} {path}: {response.status} {response.body[:300]!r}"
    return response.json() if response.body else None


def pages(
    stack: Any,
    key: str,
    params: dict[str, str],
    *,
    limit: int,
    sort: str,
    by: str,
    path: str = "/api/v1/gallery",
) -> Iterator[dict[str, Any]]:
    """The pages of one listing, followed by nextCursor (``by="cursor"``) or page numbers."""
    cursor: str | None = None
    number = 1
    for _ in range(2_000):
        query = {**params, "limit": str(limit)}
        if path == "/api/v1/gallery":
            query["sort"] = sort
        if by == "cursor" and cursor:
            query["cursor"] = cursor
        if by == "page":
            query["page"] = str(number)
        response = stack.request("GET", path, key=key, query=query)
        assert response.status == 200, f"GET {path} {query}: {response.status} {response.body[:300]!r}"
        page = response.json()
        yield page
        cursor, number = page["nextCursor"], number + 1
        if cursor is None or (by == "page" and not page["items"]):
            return
    raise AssertionError(f"GET {path} {params}: no end after 2,000 pages")


VIEWED = ("type", "prompt", "title", "model", "tags", "favorite", "rating", "archived", "collections",
          "createdAt", "deletedAt")  # fmt: skip
UNORDERED = ("tags", "collections")


def view(item: Item) -> dict[str, Any]:
    """The fields of ``item`` a listing shows that the test varies, as the API names them."""
    fields = {**item.model_dump(), "createdAt": item.created_at, "deletedAt": item.deleted_at}
    return {name: _unordered(name, fields[name]) for name in VIEWED}


def shown(entry: dict[str, Any]) -> dict[str, Any]:
    """The same fields of an item the API answered."""
    return {name: _unordered(name, entry[name]) for name in VIEWED}


def _unordered(name: str, value: Any) -> Any:
    return sorted(value) if name in UNORDERED else value


def check_walk(
    checks: Checks,
    stack: Any,
    key: str,
    ref: Reference,
    params: dict[str, str],
    *,
    limit: int,
    sort: str,
    by: str = "cursor",
) -> None:
    """One listing walked to its end equals the reference: order, each id once, total on every
    page, every item's fields, page sizes."""
    expected = ref.listing(params, sort)
    label = f"{params} sort={sort} limit={limit} by {by}"
    walked: list[str] = []
    totals: dict[int, list[int]] = {}  # total answered: on which pages
    for n, page in enumerate(pages(stack, key, params, limit=limit, sort=sort, by=by), start=1):
        totals.setdefault(page["total"], []).append(n)
        checks.expect(
            page.get("totalExact", True) is True, f"{label}: totalExact {page.get('totalExact')} on page {n}"
        )
        checks.expect(len(page["items"]) <= limit, f"{label}: {len(page['items'])} items on page {n}")
        for entry in page["items"]:
            item = ref.items.get(entry["id"])
            if checks.expect(item is not None, f"{label}: unknown item {entry['id']}") and item is not None:
                checks.equal(shown(entry), view(item), f"{label}: item {entry['id']} as listed")
        walked += [entry["id"] for entry in page["items"]]
    checks.equal(totals, {len(expected): list(range(1, n + 1))}, f"{label}: total: pages answering it")
    checks.expect(walked == expected, f"{label}: {_diff(walked, expected)}")


def page_size(matches: int) -> int:
    """7, or for long listings whatever walks them in about 8 pages (every item read costs ~0.5 ms
    in moto, and a listing reads all it passes)."""
    return min(100, max(7, -(-matches // 8)))


def check_both_sorts(checks: Checks, stack: Any, key: str, ref: Reference, params: dict[str, str]) -> None:
    """``params`` walked by cursor newest first and oldest first."""
    limit = page_size(len(ref.listing(params)))
    for sort in (NEWEST, OLDEST):
        check_walk(checks, stack, key, ref, params, limit=limit, sort=sort)


# --- changes through the API, mirrored in the reference ---------------------------------------


def patch(stack: Any, key: str, ref: Reference, item_id: str, body: dict[str, Any]) -> None:
    answer = api(stack, "PATCH", f"/api/v1/gallery/{item_id}", key, json_body=body)
    fields = dict(body)
    if "tags" in fields:
        fields["tags"] = list(dict.fromkeys(tag.strip().lower() for tag in fields["tags"]))
    if fields.get("title") == "":
        fields["title"] = None
    item = ref.change(item_id, **fields)
    assert shown(answer) == view(item), f"PATCH {item_id} {body}"


def trash_one(stack: Any, key: str, ref: Reference, item_id: str) -> None:
    put_objects([ref.items[item_id]])
    before = clock.now_iso()
    answer = api(stack, "DELETE", f"/api/v1/gallery/{item_id}", key)
    assert before <= answer["deletedAt"] <= clock.now_iso()
    ref.change(item_id, deleted_at=answer["deletedAt"])


def recorded_deletions(stack: Any, key: str, ref: Reference, item_ids: list[str], since: str) -> None:
    """A bulk delete answers ids only: when each was deleted is read back (and must be now)."""
    until = clock.now_iso()
    for item_id in item_ids:
        deleted_at = api(stack, "GET", f"/api/v1/gallery/{item_id}", key)["deletedAt"]
        assert deleted_at is not None and since <= deleted_at <= until, (item_id, deleted_at)
        ref.change(item_id, deleted_at=deleted_at)


def organise(stack: Any, key: str, ref: Reference, rng: random.Random) -> None:
    """PATCH, favorite toggles, collection membership and bulk tags, mirrored in ``ref``."""
    travel, keepers, night, empty = ref.collections
    for n, item_id in enumerate(ref.pick(rng, 50, live)):
        body: dict[str, Any] = {}
        if n % 2 == 0:
            body["favorite"] = not ref.items[item_id].favorite
        if n % 5 == 1:
            body["archived"] = not ref.items[item_id].archived
        if n % 3 == 0:
            body["rating"] = rng.randint(0, 5)
        if n % 4 == 2:
            body["tags"] = [" Sunset", "NIGHT ", "fresh-tag", "sunset"][: rng.randint(1, 4)]
        if n % 7 == 3:
            body["title"] = f"{rng.choice(['A', 'The'])} ZEPHYRINE {n}"
        if n % 7 == 5:
            body["title"] = "" if n % 2 else None
        patch(stack, key, ref, item_id, body or {"rating": 5})

    for item_id in ref.pick(rng, 12, live):
        answer = api(stack, "POST", f"/api/v1/gallery/{item_id}/favorite", key)
        item = ref.change(item_id, favorite=not ref.items[item_id].favorite)
        assert answer == {"id": item_id, "favorite": item.favorite}

    joining = ref.pick(rng, 150, lambda i: live(i) and night not in i.collections)
    joining += ref.pick(rng, 5, lambda i: live(i) and night in i.collections)  # already members
    joining += ref.pick(rng, 5, lambda i: live(i) and i.archived)  # archived: joins, not counted
    answer = api(
        stack, "POST", f"/api/v1/gallery/collections/{night}/items", key, json_body={"itemIds": joining}
    )
    assert answer["failed"] == [] and sorted(answer["added"]) == sorted(set(joining))
    for item_id in set(joining):
        if night not in ref.items[item_id].collections:
            ref.change(item_id, collections=[*ref.items[item_id].collections, night])

    leaving = ref.pick(rng, 40, lambda i: live(i) and travel in i.collections)
    answer = api(
        stack, "DELETE", f"/api/v1/gallery/collections/{travel}/items", key, json_body={"itemIds": leaving}
    )
    assert answer["failed"] == [] and sorted(answer["removed"]) == sorted(leaving)
    for item_id in leaving:
        ref.change(item_id, collections=[c for c in ref.items[item_id].collections if c != travel])

    tagged = ref.pick(rng, 120, live)
    answer = api(
        stack, "POST", "/api/v1/gallery/bulk/tag", key,
        json_body={"itemIds": tagged, "tags": ["Bulk-Added", "city"], "mode": "add"},
    )  # fmt: skip
    assert answer["failed"] == [] and sorted(answer["succeeded"]) == sorted(tagged)
    for item_id in tagged:
        tags = ref.items[item_id].tags
        ref.change(item_id, tags=tags + [tag for tag in ("bulk-added", "city") if tag not in tags])

    untagged = ref.pick(rng, 60, lambda i: live(i) and "landscape" in i.tags)
    answer = api(
        stack, "POST", "/api/v1/gallery/bulk/tag", key,
        json_body={"itemIds": untagged, "tags": ["LANDSCAPE"], "mode": "remove"},
    )  # fmt: skip
    assert answer["failed"] == []
    for item_id in untagged:
        ref.change(item_id, tags=[tag for tag in ref.items[item_id].tags if tag != "landscape"])

    archived_keepers = ref.pick(rng, 25, lambda i: listed(i) and keepers in i.collections)
    for item_id in archived_keepers:  # archived members leave the counts, keep the id
        patch(stack, key, ref, item_id, {"archived": True})
    assert empty not in {c for item in ref.items.values() for c in item.collections}


def trash_and_restore(stack: Any, key: str, ref: Reference, rng: random.Random) -> None:
    """Single and bulk trash (listed, archived, in collections), then single and bulk restores."""
    for item_id in ref.pick(rng, 12, listed) + ref.pick(rng, 4, lambda i: live(i) and i.archived):
        trash_one(stack, key, ref, item_id)

    bulk = ref.pick(rng, 90, live) + ref.pick(rng, 3, lambda i: not live(i))  # trashed: no change
    put_objects([ref.items[item_id] for item_id in bulk if live(ref.items[item_id])])
    since = clock.now_iso()
    answer = api(stack, "POST", "/api/v1/gallery/bulk/delete", key, json_body={"itemIds": bulk})
    assert answer["failed"] == [] and sorted(answer["succeeded"]) == sorted(bulk)
    recorded_deletions(stack, key, ref, [i for i in bulk if live(ref.items[i])], since)

    for item_id in ref.pick(rng, 5, lambda i: not live(i)):
        answer = api(stack, "POST", f"/api/v1/gallery/{item_id}/restore", key)
        item = ref.change(item_id, deleted_at=None)
        assert shown(answer) == view(item)

    restoring = ref.pick(rng, 12, lambda i: not live(i))
    answer = api(stack, "POST", "/api/v1/gallery/bulk/restore", key, json_body={"itemIds": restoring})
    assert answer["failed"] == [] and sorted(answer["succeeded"]) == sorted(restoring)
    for item_id in restoring:
        ref.change(item_id, deleted_at=None)

    for item_id in [restoring[0], *ref.pick(rng, 3, listed)]:  # a restored item trashed again: latest
        trash_one(stack, key, ref, item_id)


# --- the listings checked -----------------------------------------------------------------------


def day(offset: int) -> str:
    return (START + timedelta(days=offset)).date().isoformat()


def filter_cases(ref: Reference) -> list[dict[str, str]]:
    travel, keepers, night, empty = ref.collections
    by_time = sorted(ref.items.values(), key=lambda item: (item.created_at, item.id))
    tie = next(a for a, b in itertools.pairwise(by_time) if a.created_at == b.created_at)
    lower, upper = by_time[len(by_time) // 4].created_at, by_time[len(by_time) // 2].created_at
    return [
        # each filter alone
        {},
        {"type": "image"},
        {"type": "video"},
        {"favorite": "true"},
        {"favorite": "false"},
        {"model": "bfl/flux-dev"},
        {"model": "no/such-model"},
        {"tags": "unicorn"},
        {"tags": "art"},  # on most items
        {"tags": "Night"},
        {"tags": "no-such-tag"},
        {"collection": night},
        {"collection": keepers},  # holds most items
        {"collection": empty},
        {"search": "sunset"},
        {"search": TITLE_ONLY.upper()},  # in titles only
        {"search": BOOKEND},  # both ends only: a cursor page's read budget runs out between them
        {"from": day(50)},
        {"to": day(3)},
        {"from": day(10), "to": day(10)},  # one whole day, both midnights
        {"from": lower, "to": upper},  # exact milliseconds, both inclusive
        {"from": tie.created_at, "to": tie.created_at},  # one millisecond, several items
        {"from": "2024-03-20T14:00:00+02:00", "to": "2024-03-22T12:00:00Z"},
        {"minRating": "4"},
        {"archived": "true"},
        # combinations
        {"type": "video", "favorite": "true"},
        {"type": "image", "favorite": "false", "minRating": "3"},
        {"tags": "sunset,ocean"},
        {"tags": " CITY , Night,city"},
        {"tags": "art,landscape,portrait"},
        {"tags": "sunset", "collection": travel},
        {"tags": "art", "collection": keepers},
        {"collection": travel, "type": "video"},
        {"collection": keepers, "favorite": "true", "minRating": "2"},
        {"search": "fox", "tags": "art"},
        {"search": "neon", "type": "video"},
        {"search": "  OVER mountains ", "type": "video"},
        {"search": "dawn", "favorite": "true"},
        {"model": "google/gemini-2.5-flash-image", "from": day(20), "to": day(29)},
        {"model": "bfl/flux-pro-1.1", "type": "image", "tags": "art"},
        {"minRating": "4", "favorite": "true"},
        {"minRating": "1", "tags": "bulk-added", "type": "image"},
        {"archived": "true", "type": "video"},
        {"archived": "true", "favorite": "true"},
        {"archived": "true", "tags": "art"},
        {"archived": "true", "collection": keepers},
        {"favorite": "true", "tags": "fresh-tag"},
        {"tags": "art", "from": day(40), "to": day(49)},
        {"type": "image", "model": "openai/gpt-image-1", "favorite": "false", "tags": "art"},
    ]


def check_facets(checks: Checks, stack: Any, key: str, ref: Reference) -> None:
    facets = api(stack, "GET", "/api/v1/gallery/facets", key)
    expected = ref.facets()
    for name, value in expected.items():
        actual = facets[name]
        if isinstance(value, dict) and name != "collections":  # zero counts may be left out
            actual = {k: v for k, v in actual.items() if v}
        checks.equal(actual, value, f"facets {name}")


def check_trash(checks: Checks, stack: Any, key: str, ref: Reference) -> None:
    expected = ref.trash()
    for by in ("cursor", "page"):
        walked: list[str] = []
        for n, page in enumerate(
            pages(stack, key, {}, limit=7, sort=NEWEST, by=by, path="/api/v1/gallery/trash")
        ):
            checks.equal(page["total"], len(expected), f"trash by {by}: total on page {n + 1}")
            for entry in page["items"]:
                checks.equal(shown(entry), view(ref.items[entry["id"]]), f"trash: item {entry['id']}")
            walked += [entry["id"] for entry in page["items"]]
        checks.expect(walked == expected, f"trash by {by}, newest deletion first: {_diff(walked, expected)}")


def check_walk_while_adding(
    checks: Checks,
    stack: Any,
    team_id: str,
    key: str,
    ref: Reference,
    params: dict[str, str],
    rng: random.Random,
) -> None:
    """Items created during a cursor walk: never in a newest-first walk begun before them, at the
    end (each once) of an oldest-first one."""
    later = datetime.fromisoformat(max(i.created_at for i in ref.items.values()).replace("Z", "+00:00"))

    def add_some() -> None:  # a favorite image and a video, newer than anything before them
        nonlocal later
        fresh = []
        for type_, favorite in (("image", True), ("video", False)):
            later += timedelta(seconds=rng.randint(1, 600))
            fresh.append(
                make_item(
                    rng, team_id, later, type_=type_, prompt="Fresh sunset", model=FRESH_MODEL,
                    tags=["sunset", "fresh"], favorite=favorite, rating=4,
                )
            )  # fmt: skip
        write_items(team_id, fresh)
        for item in fresh:
            ref.add(item)

    for sort in (NEWEST, OLDEST):
        label = f"walk while adding {params} sort={sort}"
        at_start = ref.listing(params, sort)
        walked: list[str] = []
        expected = at_start
        for n, page in enumerate(pages(stack, key, params, limit=7, sort=sort, by="cursor")):
            expected = ref.listing(params, sort)  # everything made before this page was asked for
            checks.expect(
                len(at_start) <= page["total"] <= len(expected),
                f"{label}: total {page['total']} on page {n + 1}, not in {len(at_start)}..{len(expected)}",
            )
            walked += [entry["id"] for entry in page["items"]]
            if n % 3 == 0 and page["nextCursor"]:
                add_some()
        wanted = at_start if sort == NEWEST else expected
        checks.expect(walked == wanted, f"{label}: {_diff(walked, wanted)}")
        if sort == OLDEST:
            checks.expect(len(expected) > len(at_start), f"{label}: nothing was added during the walk")


def check_tenancy(
    checks: Checks, stack: Any, owner_key: str, other: Any, theirs: Reference, cases: list[dict[str, str]]
) -> None:
    """Another team with the same filters sees only its own items (``theirs``); a cursor of ours
    opens nothing of ours."""
    for params in cases:
        response = stack.request("GET", "/api/v1/gallery", key=other.key, query={**params, "limit": "100"})
        if "collection" in params:  # our collection: not found for them, or nothing in it
            checks.expect(
                response.status == 404 or (response.status == 200 and response.json()["items"] == []),
                f"other team {params}: {response.status} {response.body[:200]!r}",
            )
            continue
        got = [entry["id"] for entry in response.json()["items"]]
        checks.equal(got, theirs.listing(params), f"other team {params}: items")
        checks.equal(response.json()["total"], len(theirs.listing(params)), f"other team {params}: total")
    first = stack.request("GET", "/api/v1/gallery", key=owner_key, query={"limit": "3"}).json()
    for sort in (NEWEST, OLDEST):
        query = {"limit": "100", "cursor": first["nextCursor"], "sort": sort}
        response = stack.request("GET", "/api/v1/gallery", key=other.key, query=query)
        listed = {entry["id"] for entry in response.json()["items"]} if response.status == 200 else set()
        checks.expect(listed <= set(theirs.items), f"other team with our cursor ({sort}): {_short(listed)}")


# --- the test -----------------------------------------------------------------------------------


def test_every_gallery_filter_matches_a_brute_force_recount(stack, team, other_team, quick_moto) -> None:
    rng = random.Random(SEED)
    ref = Reference()
    for name in ("Travel", "Keepers", "Night shots", "Empty"):
        answer = api(stack, "POST", "/api/v1/gallery/collections", team.key, json_body={"name": name})
        ref.collections.append(answer["id"])
    travel, keepers, night, _ = ref.collections

    made = build_gallery(rng, team.team_id, [travel, keepers, night])
    write_items(team.team_id, made)
    for item in made:
        ref.add(item)

    theirs = [
        make_item(rng, other_team.team_id, START + timedelta(days=n), tags=["art", "sunset"], prompt="Sunset")
        for n in range(5)
    ]
    write_items(other_team.team_id, theirs)

    organise(stack, team.key, ref, rng)
    trash_and_restore(stack, team.key, ref, rng)

    checks = Checks()
    check_facets(checks, stack, team.key, ref)
    check_trash(checks, stack, team.key, ref)

    cases = filter_cases(ref)
    for params in cases:
        check_both_sorts(checks, stack, team.key, ref, params)
    for params in (
        {"model": "bfl/flux-dev"},
        {"type": "video", "favorite": "true"},
        {"search": "neon", "type": "video"},
        {"search": BOOKEND},
    ):
        for sort in (NEWEST, OLDEST):
            check_walk(checks, stack, team.key, ref, params, limit=7, sort=sort, by="page")

    their_ref = Reference(items={item.id: item for item in theirs})
    check_tenancy(checks, stack, team.key, other_team, their_ref, cases)

    for params in (
        {"model": FRESH_MODEL},
        {"tags": "sunset", "favorite": "true"},
        {"search": "SUNSET", "type": "video", "minRating": "3"},
    ):
        check_walk_while_adding(checks, stack, team.team_id, team.key, ref, params, rng)
    check_facets(checks, stack, team.key, ref)

    report = "\n".join(checks.failures[:80])
    assert not checks.failures, f"{len(checks.failures)} of {checks.count} checks failed:\n{report}"
