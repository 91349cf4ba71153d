"""Collections and bulk operations: the API contract ("Collections", "Bulk"), the README's
request bodies verbatim, per-id results, and tenancy. Through the handlers, against moto in-process."""

from __future__ import annotations

import pytest
from presigned import without_signatures

GALLERY = "/api/v1/gallery"
COLLECTIONS = f"{GALLERY}/collections"
UNKNOWN_ID = "gal_01jd0000000000000000000000"
UNKNOWN_COLLECTION = "col_01jd0000000000000000000000"
JSON = {"content-type": "application/json"}


def get(stack, team, path: str, **query: str) -> dict:
    response = stack.request("GET", path, key=team.key, query=query or None)
    assert response.status == 200, (path, response.body)
    return response.json()


def listed(stack, team, **query: str) -> list[str]:
    return [entry["id"] for entry in get(stack, team, GALLERY, limit="100", **query)["items"]]


def create_collection(stack, team, name: str = "Product Shots", **extra) -> dict:
    response = stack.request("POST", COLLECTIONS, key=team.key, json_body={"name": name, **extra})
    assert response.status == 201, response.body
    return response.json()


def members(stack, team, collection_id: str, item_ids: list[str], *, remove: bool = False):
    method = "DELETE" if remove else "POST"
    path = f"{COLLECTIONS}/{collection_id}/items"
    return stack.request(method, path, key=team.key, json_body={"itemIds": item_ids})


def bulk(stack, team, action: str, item_ids: list[str], **extra):
    body = {"itemIds": item_ids, **extra}
    return stack.request("POST", f"{GALLERY}/bulk/{action}", key=team.key, json_body=body)


def failures(body: dict) -> dict[str, str]:
    """The ``failed`` list as {id: code}, checking each id is reported once."""
    ids = [entry["id"] for entry in body["failed"]]
    assert len(ids) == len(set(ids)), body
    assert all(set(entry) == {"id", "code"} for entry in body["failed"]), body
    return {entry["id"]: entry["code"] for entry in body["failed"]}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status == status, response.body
    body = response.json()
    assert body["code"] == code and body["error"], body
    return body


def cover_of_newest_listed(stack, team, collection_id: str) -> str | None:
    page = get(stack, team, GALLERY, collection=collection_id, limit="1")
    return page["items"][0]["thumbnailUrl"] if page["items"] else None


# --- collections ---------------------------------------------------------------------------
def test_create_answers_201_with_the_documented_shape(stack, team) -> None:
    response = stack.request(
        "POST", COLLECTIONS, key=team.key, json_body={"name": "  Product Shots ", "description": "Shots"}
    )

    assert response.status == 201, response.body
    body = response.json()
    assert set(body) == {"id", "name", "description", "itemCount", "coverUrl", "createdAt", "updatedAt"}
    assert body["id"].startswith("col_")
    assert (body["name"], body["description"]) == ("Product Shots", "Shots")
    assert body["itemCount"] == 0 and body["coverUrl"] is None
    assert body["createdAt"].endswith("Z") and body["updatedAt"] == body["createdAt"]
    assert get(stack, team, f"{COLLECTIONS}/{body['id']}") == body

    bare = create_collection(stack, team, "No description")
    assert bare["description"] is None


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"name": "a", "colour": "red"}, {"name": 5}],
)
def test_create_refuses_a_bad_body(stack, team, body) -> None:
    error = assert_error(
        stack.request("POST", COLLECTIONS, key=team.key, json_body=body), 400, "invalid_request"
    )
    if "colour" in body:
        assert "colour" in error["error"]
    assert get(stack, team, COLLECTIONS)["collections"] == []


def test_list_get_and_patch(stack, team) -> None:
    first = create_collection(stack, team, "First", description="One")
    second = create_collection(stack, team, "Second")

    listing = get(stack, team, COLLECTIONS)
    assert {c["id"] for c in listing["collections"]} == {first["id"], second["id"]}
    assert listing["nextCursor"] is None
    assert get(stack, team, f"{COLLECTIONS}/{first['id']}") == first

    renamed = stack.request(
        "PATCH", f"{COLLECTIONS}/{first['id']}", key=team.key, json_body={"name": "Renamed"}
    )
    assert renamed.status == 200, renamed.body
    assert (renamed.json()["name"], renamed.json()["description"]) == ("Renamed", "One")
    assert renamed.json()["updatedAt"] >= first["updatedAt"]
    assert renamed.json()["createdAt"] == first["createdAt"]

    described = stack.request(
        "PATCH", f"{COLLECTIONS}/{first['id']}", key=team.key, json_body={"description": "Two"}
    ).json()
    assert (described["name"], described["description"]) == ("Renamed", "Two")
    cleared = stack.request(
        "PATCH", f"{COLLECTIONS}/{first['id']}", key=team.key, json_body={"description": None}
    ).json()
    assert (cleared["name"], cleared["description"]) == ("Renamed", None)
    assert get(stack, team, f"{COLLECTIONS}/{first['id']}") == cleared

    for body in ({"name": None}, {"name": ""}, {"colour": "red"}):
        assert_error(
            stack.request("PATCH", f"{COLLECTIONS}/{first['id']}", key=team.key, json_body=body),
            400,
            "invalid_request",
        )
    assert get(stack, team, f"{COLLECTIONS}/{first['id']}") == cleared
    assert_error(stack.request("GET", f"{COLLECTIONS}/{UNKNOWN_COLLECTION}", key=team.key), 404, "not_found")
    assert_error(
        stack.request("PATCH", f"{COLLECTIONS}/{UNKNOWN_COLLECTION}", key=team.key, json_body={"name": "x"}),
        404,
        "not_found",
    )


def test_delete_keeps_the_items_and_forgets_the_collection(stack, team) -> None:
    a, b = stack.make_items(team, 2)
    doomed = create_collection(stack, team, "Doomed")
    kept = create_collection(stack, team, "Kept")
    members(stack, team, doomed["id"], [a, b])
    members(stack, team, kept["id"], [a])

    response = stack.request("DELETE", f"{COLLECTIONS}/{doomed['id']}", key=team.key)

    assert response.status == 204 and response.body == b""
    assert_error(stack.request("GET", f"{COLLECTIONS}/{doomed['id']}", key=team.key), 404, "not_found")
    assert [c["id"] for c in get(stack, team, COLLECTIONS)["collections"]] == [kept["id"]]
    assert set(listed(stack, team)) == {a, b}
    assert get(stack, team, f"{GALLERY}/{a}")["collections"] == [kept["id"]]
    assert get(stack, team, f"{GALLERY}/{b}")["collections"] == []
    assert get(stack, team, f"{GALLERY}/facets")["collections"] == {kept["id"]: 1}
    assert get(stack, team, f"{COLLECTIONS}/{kept['id']}")["itemCount"] == 1
    assert_error(stack.request("DELETE", f"{COLLECTIONS}/{doomed['id']}", key=team.key), 404, "not_found")
    assert_error(members(stack, team, doomed["id"], [a]), 404, "not_found")


@pytest.mark.parametrize(
    ("hide", "show"),
    [
        (("DELETE", "", None), ("POST", "/restore", None)),
        (("PATCH", "", {"archived": True}), ("PATCH", "", {"archived": False})),
    ],
    ids=["trashed", "archived"],
)
def test_a_hidden_member_forgets_a_deleted_collection(stack, team, hide, show) -> None:
    (item_id,) = stack.make_items(team, 1)
    cid = create_collection(stack, team)["id"]
    members(stack, team, cid, [item_id])
    method, suffix, body = hide
    assert stack.request(method, f"{GALLERY}/{item_id}{suffix}", key=team.key, json_body=body).status == 200

    assert stack.request("DELETE", f"{COLLECTIONS}/{cid}", key=team.key).status == 204

    # items no longer list the collection, whether they are shown or not
    assert get(stack, team, f"{GALLERY}/{item_id}")["collections"] == []
    method, suffix, body = show
    shown = stack.request(method, f"{GALLERY}/{item_id}{suffix}", key=team.key, json_body=body)
    assert shown.status == 200, shown.body
    assert shown.json()["collections"] == []
    assert get(stack, team, f"{GALLERY}/{item_id}")["collections"] == []
    assert get(stack, team, f"{GALLERY}/facets")["collections"] == {}
    assert listed(stack, team) == [item_id]


def test_add_and_remove_items(stack, team) -> None:
    a, b, c = stack.make_items(team, 3)
    other = create_collection(stack, team, "Other")
    collection = create_collection(stack, team)
    cid = collection["id"]

    added = members(stack, team, cid, [a, b, a, UNKNOWN_ID, "not-an-id"])

    assert added.status == 200, added.body
    body = added.json()
    assert set(body) == {"added", "failed", "collection"}
    assert sorted(body["added"]) == sorted([a, b])
    assert failures(body) == {UNKNOWN_ID: "not_found", "not-an-id": "not_found"}
    assert body["collection"]["id"] == cid and body["collection"]["itemCount"] == 2
    assert body["collection"]["coverUrl"] == cover_of_newest_listed(stack, team, cid)
    assert set(listed(stack, team, collection=cid)) == {a, b}
    assert get(stack, team, f"{GALLERY}/{a}")["collections"] == [cid]
    assert get(stack, team, f"{GALLERY}/{c}")["collections"] == []

    # adding again changes nothing; an item can be in several collections
    again = members(stack, team, cid, [a]).json()
    assert again["added"] == [a] and again["collection"]["itemCount"] == 2
    assert members(stack, team, other["id"], [a, c]).json()["collection"]["itemCount"] == 2
    assert set(get(stack, team, f"{GALLERY}/{a}")["collections"]) == {cid, other["id"]}
    assert get(stack, team, f"{GALLERY}/facets")["collections"] == {cid: 2, other["id"]: 2}

    removed = members(stack, team, cid, [a, c, UNKNOWN_ID, a], remove=True)

    assert removed.status == 200, removed.body
    body = removed.json()
    assert set(body) == {"removed", "failed", "collection"}
    assert body["removed"] == [a]
    failed = failures(body)
    assert set(failed) == {c, UNKNOWN_ID} and failed[UNKNOWN_ID] == "not_found" and failed[c]
    assert body["collection"]["itemCount"] == 1
    assert listed(stack, team, collection=cid) == [b]
    assert get(stack, team, f"{GALLERY}/{a}")["collections"] == [other["id"]]
    assert set(listed(stack, team, collection=other["id"])) == {a, c}

    invalid: list[dict[str, object]] = [
        {"itemIds": []},
        {},
        {"itemIds": "gal_x"},
        {"itemIds": [a], "extra": 1},
    ]
    for bad in invalid:
        response = stack.request("POST", f"{COLLECTIONS}/{cid}/items", key=team.key, json_body=bad)
        assert_error(response, 400, "invalid_request")


def test_item_count_and_cover_follow_membership_trash_and_restore(stack, team) -> None:
    ids = stack.make_items(team, 3)
    cid = create_collection(stack, team)["id"]

    def check(expected: set[str]) -> dict:
        collection = get(stack, team, f"{COLLECTIONS}/{cid}")
        assert set(listed(stack, team, collection=cid)) == expected
        assert collection["itemCount"] == len(expected)
        assert get(stack, team, f"{GALLERY}/facets")["collections"] == {cid: len(expected)}
        assert collection["coverUrl"] == cover_of_newest_listed(stack, team, cid)
        assert [c for c in get(stack, team, COLLECTIONS)["collections"] if c["id"] == cid] == [collection]
        return collection

    assert check(set())["coverUrl"] is None
    for n, item_id in enumerate(ids):
        members(stack, team, cid, [item_id])
        check(set(ids[: n + 1]))
    newest = listed(stack, team, collection=cid)[0]
    assert check(set(ids))["coverUrl"] == get(stack, team, f"{GALLERY}/{newest}")["thumbnailUrl"]

    stack.request("DELETE", f"{GALLERY}/{newest}", key=team.key)
    after_trash = check(set(ids) - {newest})
    assert after_trash["coverUrl"] is not None and newest not in after_trash["coverUrl"]

    stack.request("POST", f"{GALLERY}/{newest}/restore", key=team.key)
    assert newest in check(set(ids))["coverUrl"]

    stack.request("PATCH", f"{GALLERY}/{newest}", key=team.key, json_body={"archived": True})
    check(set(ids) - {newest})
    stack.request("PATCH", f"{GALLERY}/{newest}", key=team.key, json_body={"archived": False})
    check(set(ids))

    members(stack, team, cid, [newest], remove=True)
    check(set(ids) - {newest})
    bulk(stack, team, "delete", ids)
    assert check(set())["coverUrl"] is None
    bulk(stack, team, "restore", ids)
    check(set(ids) - {newest})
    members(stack, team, cid, ids, remove=True)
    assert check(set())["coverUrl"] is None


# --- bulk ----------------------------------------------------------------------------------
def test_bulk_delete_and_restore_report_each_id(stack, team, other_team) -> None:
    a, b, c = stack.make_items(team, 3)
    (theirs,) = stack.make_items(other_team, 1)
    mixed = [a, b, UNKNOWN_ID, theirs, a, b, "not-an-id"]

    deleted = bulk(stack, team, "delete", mixed)

    assert deleted.status == 200, deleted.body
    body = deleted.json()
    assert set(body) == {"succeeded", "failed"}
    assert sorted(body["succeeded"]) == sorted([a, b])
    assert failures(body) == {UNKNOWN_ID: "not_found", theirs: "not_found", "not-an-id": "not_found"}
    assert listed(stack, team) == [c]
    assert {i["id"] for i in get(stack, team, f"{GALLERY}/trash")["items"]} == {a, b}
    facets = get(stack, team, f"{GALLERY}/facets")
    assert (facets["total"], facets["trash"]) == (1, 2)
    assert get(stack, other_team, f"{GALLERY}/{theirs}")["deletedAt"] is None

    # already in the trash: harmless, reported as succeeded
    assert sorted(bulk(stack, team, "delete", [a]).json()["succeeded"]) == [a]

    restored = bulk(stack, team, "restore", [*mixed, c])

    assert restored.status == 200, restored.body
    body = restored.json()
    assert sorted(body["succeeded"]) == sorted([a, b, c])  # c was live: nothing to do
    assert failures(body) == {UNKNOWN_ID: "not_found", theirs: "not_found", "not-an-id": "not_found"}
    assert set(listed(stack, team)) == {a, b, c}
    facets = get(stack, team, f"{GALLERY}/facets")
    assert (facets["total"], facets["trash"]) == (3, 0)
    assert get(stack, other_team, f"{GALLERY}/facets")["total"] == 1


def test_bulk_tag_adds_removes_and_replaces(stack, team, other_team) -> None:
    a, b, c = stack.make_items(team, 3)
    (theirs,) = stack.make_items(other_team, 1)
    stack.request("PATCH", f"{GALLERY}/{a}", key=team.key, json_body={"tags": ["keep"]})
    mixed = [a, b, UNKNOWN_ID, theirs, b]

    added = bulk(stack, team, "tag", mixed, tags=["  Approved", "FINAL", "final"])  # default mode: add

    assert added.status == 200, added.body
    assert sorted(added.json()["succeeded"]) == sorted([a, b])
    assert failures(added.json()) == {UNKNOWN_ID: "not_found", theirs: "not_found"}
    assert get(stack, team, f"{GALLERY}/{a}")["tags"] == ["keep", "approved", "final"]
    assert get(stack, team, f"{GALLERY}/{b}")["tags"] == ["approved", "final"]
    assert get(stack, team, f"{GALLERY}/{c}")["tags"] == []
    assert get(stack, team, f"{GALLERY}/facets")["tags"] == {"approved": 2, "final": 2, "keep": 1}
    assert get(stack, other_team, f"{GALLERY}/{theirs}")["tags"] == []

    removed = bulk(stack, team, "tag", [a, b, c], tags=["final"], mode="remove")
    assert sorted(removed.json()["succeeded"]) == sorted([a, b, c]) and removed.json()["failed"] == []
    assert get(stack, team, f"{GALLERY}/{a}")["tags"] == ["keep", "approved"]
    assert get(stack, team, f"{GALLERY}/facets")["tags"] == {"approved": 2, "keep": 1}

    replaced = bulk(stack, team, "tag", [a, c], tags=["Fresh"], mode="replace")
    assert sorted(replaced.json()["succeeded"]) == sorted([a, c])
    assert get(stack, team, f"{GALLERY}/{a}")["tags"] == ["fresh"]
    assert get(stack, team, f"{GALLERY}/{c}")["tags"] == ["fresh"]
    assert get(stack, team, f"{GALLERY}/facets")["tags"] == {"approved": 1, "fresh": 2}
    assert set(listed(stack, team, tags="fresh")) == {a, c}

    for body in (
        {"itemIds": [a], "tags": ["x"], "mode": "merge"},
        {"itemIds": [a], "tags": []},
        {"itemIds": [a], "tags": ["x" * 51]},
        {"itemIds": [a]},
    ):
        response = stack.request("POST", f"{GALLERY}/bulk/tag", key=team.key, json_body=body)
        assert_error(response, 400, "invalid_request")
    assert get(stack, team, f"{GALLERY}/{a}")["tags"] == ["fresh"]

    # one item that would pass 50 tags fails alone
    full = [f"t{n}" for n in range(50)]
    stack.request("PATCH", f"{GALLERY}/{b}", key=team.key, json_body={"tags": full})
    one_more = bulk(stack, team, "tag", [a, b], tags=["extra"]).json()
    assert one_more["succeeded"] == [a] and failures(one_more) == {b: "too_many_tags"}
    assert get(stack, team, f"{GALLERY}/{b}")["tags"] == full


def test_bulk_collect(stack, team, other_team) -> None:
    a, b = stack.make_items(team, 2)
    (theirs,) = stack.make_items(other_team, 1)
    cid = create_collection(stack, team)["id"]
    their_collection = create_collection(stack, other_team, "Theirs")["id"]

    collected = bulk(stack, team, "collect", [a, b, a, UNKNOWN_ID, theirs], collectionId=cid)

    assert collected.status == 200, collected.body
    assert sorted(collected.json()["succeeded"]) == sorted([a, b])
    assert failures(collected.json()) == {UNKNOWN_ID: "not_found", theirs: "not_found"}
    assert get(stack, team, f"{COLLECTIONS}/{cid}")["itemCount"] == 2
    assert set(listed(stack, team, collection=cid)) == {a, b}
    assert get(stack, other_team, f"{GALLERY}/{theirs}")["collections"] == []

    for collection_id in (UNKNOWN_COLLECTION, their_collection):
        assert_error(bulk(stack, team, "collect", [a], collectionId=collection_id), 404, "not_found")
    assert get(stack, other_team, f"{COLLECTIONS}/{their_collection}")["itemCount"] == 0
    assert get(stack, team, f"{GALLERY}/{a}")["collections"] == [cid]


@pytest.mark.parametrize("action", ["delete", "restore", "tag", "collect", "add-to-collection"])
def test_id_count_limits(stack, team, action) -> None:
    cid = create_collection(stack, team)["id"]

    def call(item_ids: list[str]):
        if action == "add-to-collection":
            return members(stack, team, cid, item_ids)
        extra = {"tag": {"tags": ["x"]}, "collect": {"collectionId": cid}}.get(action, {})
        return bulk(stack, team, action, item_ids, **extra)

    distinct = [f"gal_{n:026d}" for n in range(201)]
    assert_error(call(distinct), 400, "too_many_ids")
    assert_error(call([]), 400, "invalid_request")

    # 200 distinct ids, sent with duplicates, are within the limit
    response = call(distinct[:200] + distinct[:50])
    assert response.status == 200, response.body
    assert len(failures(response.json())) == 200


# --- the seed's requests, verbatim ---------------------------------------------------------
def test_the_seed_000_request_bodies_work(stack, team) -> None:
    abc, def_, ghi = stack.make_items(team, 3)

    created = stack.request(
        "POST",
        COLLECTIONS,
        key=team.key,
        headers=JSON,
        raw_body='{\n"name": "Product Shots",\n"description": "Generated product images"\n}',
    )
    assert created.status == 201, created.body
    collection = created.json()
    assert (collection["name"], collection["description"]) == ("Product Shots", "Generated product images")

    added = stack.request(
        "POST",
        f"{COLLECTIONS}/{collection['id']}/items",
        key=team.key,
        headers=JSON,
        raw_body=f'{{\n"itemIds": ["{abc}", "{def_}"]\n}}',
    )
    assert added.status == 200, added.body
    assert sorted(added.json()["added"]) == sorted([abc, def_])
    assert added.json()["collection"]["itemCount"] == 2

    tagged = stack.request(
        "POST",
        f"{GALLERY}/bulk/tag",
        key=team.key,
        headers=JSON,
        raw_body=f'{{\n"itemIds": ["{abc}", "{def_}"],\n"tags": ["approved", "final"]\n}}',
    )
    assert tagged.status == 200, tagged.body
    assert sorted(tagged.json()["succeeded"]) == sorted([abc, def_])
    assert set(listed(stack, team, tags="approved,final")) == {abc, def_}

    deleted = stack.request(
        "POST",
        f"{GALLERY}/bulk/delete",
        key=team.key,
        headers=JSON,
        raw_body=f'{{\n"itemIds": ["{abc}", "{def_}", "{ghi}"]\n}}',
    )
    assert deleted.status == 200, deleted.body
    assert sorted(deleted.json()["succeeded"]) == sorted([abc, def_, ghi])
    assert deleted.json()["failed"] == []
    assert listed(stack, team) == []


# --- tenancy -------------------------------------------------------------------------------
def test_another_team_cannot_touch_collections_or_bulk_change_items(stack, team, other_team) -> None:
    a, b = stack.make_items(team, 2)
    cid = create_collection(stack, team, "Mine", description="private")["id"]
    members(stack, team, cid, [a])
    stack.request("PATCH", f"{GALLERY}/{a}", key=team.key, json_body={"tags": ["mine"]})
    stack.request("DELETE", f"{GALLERY}/{b}", key=team.key)
    their_collection = create_collection(stack, other_team, "Theirs")["id"]

    def state() -> tuple:
        return (
            get(stack, team, f"{GALLERY}/{a}"),
            without_signatures(get(stack, team, f"{GALLERY}/{b}")),  # in the trash: presigned links
            get(stack, team, f"{GALLERY}/facets"),
            get(stack, team, f"{COLLECTIONS}/{cid}"),
            get(stack, team, COLLECTIONS),
            get(stack, team, GALLERY, collection=cid),
        )

    before = state()
    key = other_team.key
    for method, path, body in (
        ("GET", f"{COLLECTIONS}/{cid}", None),
        ("PATCH", f"{COLLECTIONS}/{cid}", {"name": "Stolen", "description": None}),
        ("POST", f"{COLLECTIONS}/{cid}/items", {"itemIds": [b]}),
        ("DELETE", f"{COLLECTIONS}/{cid}/items", {"itemIds": [a]}),
        ("DELETE", f"{COLLECTIONS}/{cid}", None),
        ("POST", f"{GALLERY}/bulk/collect", {"itemIds": [a, b], "collectionId": cid}),
    ):
        response = stack.request(method, path, key=key, json_body=body)
        assert response.status == 404, (method, path, response.body)
        assert response.json()["code"] == "not_found"
        assert "Mine" not in response.body.decode()

    theirs = {a: "not_found", b: "not_found"}
    for action, extra in (
        ("delete", {}),
        ("restore", {}),
        ("tag", {"tags": ["stolen"], "mode": "replace"}),
        ("collect", {"collectionId": their_collection}),
    ):
        response = bulk(stack, other_team, action, [a, b], **extra)
        assert response.status == 200, response.body
        assert response.json()["succeeded"] == [] and failures(response.json()) == theirs
    into_theirs = members(stack, other_team, their_collection, [a, b]).json()
    assert into_theirs["added"] == [] and failures(into_theirs) == theirs
    out_of_theirs = members(stack, other_team, their_collection, [a], remove=True).json()
    assert out_of_theirs["removed"] == [] and failures(out_of_theirs) == {a: "not_found"}

    assert state() == before
    assert [c["id"] for c in get(stack, other_team, COLLECTIONS)["collections"]] == [their_collection]
    assert get(stack, other_team, f"{COLLECTIONS}/{their_collection}")["itemCount"] == 0
    other_facets = get(stack, other_team, f"{GALLERY}/facets")
    assert other_facets["total"] == 0 and other_facets["collections"] == {their_collection: 0}
    filtered = stack.request("GET", GALLERY, key=other_team.key, query={"collection": cid})
    assert_error(filtered, 404, "not_found")  # a listing filter reaches no further
