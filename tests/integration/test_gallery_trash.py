"""The trash: soft delete, the trash listing, restore, permanent delete, and what each does to the
bucket, the facets and the storage usage. Through the handlers, against moto in-process."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import boto3
from presigned import without_signatures

from galleria.config import get_settings
from galleria.items.purge import TrashPurge
from galleria.items.trash import ObjectMove
from galleria.storage import MediaStorage, StorageUnavailable

GALLERY = "/api/v1/gallery"
MODEL = "local/procedural"


def objects(prefix: str) -> dict[str, int]:
    """Every object under ``prefix`` in the media bucket, with its size."""
    s3 = boto3.client("s3", region_name="us-east-1")
    found: dict[str, int] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=get_settings().media_bucket, Prefix=prefix
    ):
        found.update((entry["Key"], entry["Size"]) for entry in page.get("Contents", []))
    return found


def item_objects(team, item_id: str) -> dict[str, int]:
    return objects(f"teams/{team.team_id}/items/{item_id}/")


def trashed_objects(team, item_id: str) -> dict[str, int]:
    return objects(f"trash/teams/{team.team_id}/items/{item_id}/")


def get(stack, team, path: str, **query: str) -> dict:
    response = stack.request("GET", path, key=team.key, query=query or None)
    assert response.status == 200, (path, response.body)
    return response.json()


def listed(stack, team, path: str = GALLERY, **query: str) -> list[str]:
    return [entry["id"] for entry in get(stack, team, path, limit="100", **query)["items"]]


def storage(stack, team) -> dict:
    return get(stack, team, f"{GALLERY}/storage")


def trash(stack, team, item_id: str):
    return stack.request("DELETE", f"{GALLERY}/{item_id}", key=team.key)


def restore(stack, team, item_id: str):
    return stack.request("POST", f"{GALLERY}/{item_id}/restore", key=team.key)


def forever(stack, team, item_id: str):
    return stack.request("DELETE", f"{GALLERY}/{item_id}/forever", key=team.key)


def media_status(stack, url: str) -> int:
    """What the permanent (unauthenticated) link of a rendition answers."""
    return stack.request("GET", urlsplit(url).path).status


def _instant(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- soft delete ---------------------------------------------------------------------------
def test_delete_moves_the_item_and_its_objects_to_the_trash(stack, team) -> None:
    item_id, kept_id = stack.make_items(team, 2)
    live = get(stack, team, f"{GALLERY}/{item_id}")
    stored = item_objects(team, item_id)
    assert len(stored) >= 3  # the original and its thumbnails
    usage = storage(stack, team)

    response = trash(stack, team, item_id)

    assert response.status == 200, response.body
    body = response.json()
    assert set(body) == {"id", "deletedAt", "purgeAt"}
    assert body["id"] == item_id
    assert _instant(body["purgeAt"]) - _instant(body["deletedAt"]) == timedelta(days=30)
    assert abs(_instant(body["deletedAt"]) - datetime.now(_instant(body["deletedAt"]).tzinfo)) < timedelta(
        minutes=1
    )
    # every object copied under trash/ with its key, the originals removed
    assert item_objects(team, item_id) == {}
    assert trashed_objects(team, item_id) == {f"trash/{key}": size for key, size in stored.items()}
    assert item_objects(team, kept_id)  # the other item's objects stay
    # the item leaves the gallery, and its links stop working
    assert listed(stack, team) == [kept_id]
    assert get(stack, team, GALLERY)["total"] == 1
    assert media_status(stack, live["url"]) == 404
    assert media_status(stack, live["thumbnailUrl"]) == 404
    facets = get(stack, team, f"{GALLERY}/facets")
    assert (facets["total"], facets["trash"]) == (1, 1)
    assert facets["types"] == {"image": 1} and facets["models"] == {MODEL: 1}
    # it still answers by id, saying when it goes
    trashed = get(stack, team, f"{GALLERY}/{item_id}")
    assert (trashed["deletedAt"], trashed["purgeAt"]) == (body["deletedAt"], body["purgeAt"])
    assert trashed["prompt"] == live["prompt"]
    # the trash still takes space until purged, and says how much is reclaimable
    after = storage(stack, team)
    assert after["used"] == usage["used"]
    assert after["trashBytes"] == usage["trashBytes"] + sum(stored.values())


def test_the_owner_sees_a_trashed_items_files_through_short_lived_links_to_the_trash_copies(
    stack, team
) -> None:
    item_id = stack.make_items(team, 1)[0]
    live = get(stack, team, f"{GALLERY}/{item_id}")
    keys = item_objects(team, item_id)
    thumbnail_key = next(key for key in keys if "thumb-512" in key)
    original_key = next(key for key in keys if "thumb" not in key)
    assert trash(stack, team, item_id).status == 200

    listed_item = get(stack, team, f"{GALLERY}/trash")["items"][0]
    by_id = get(stack, team, f"{GALLERY}/{item_id}")

    assert media_status(stack, live["thumbnailUrl"]) == 404  # the permanent links stay shut
    for trashed in (listed_item, by_id):
        for field, key in (("thumbnailUrl", thumbnail_key), ("url", original_key)):
            link = urlsplit(trashed[field])
            assert link.path.endswith(f"/trash/{key}"), (field, trashed[field])
            assert "X-Amz-Expires=900" in link.query and "X-Amz-Signature=" in link.query
    s3 = boto3.client("s3", region_name="us-east-1")
    copy = s3.get_object(Bucket=get_settings().media_bucket, Key=f"trash/{thumbnail_key}")["Body"].read()
    assert copy[:4] == b"RIFF"  # the WebP thumbnail waiting in the trash

    assert restore(stack, team, item_id).status == 200
    assert get(stack, team, f"{GALLERY}/{item_id}")["thumbnailUrl"] == live["thumbnailUrl"]


def test_the_trash_lists_the_newest_deletion_first(stack, team) -> None:
    a, b, c, d = stack.make_items(team, 4)
    for item_id in (b, a, c):
        assert trash(stack, team, item_id).status == 200
        time.sleep(0.005)  # deletion times are in milliseconds

    page = get(stack, team, f"{GALLERY}/trash")
    assert [entry["id"] for entry in page["items"]] == [c, a, b]
    assert page["total"] == 3 and page["nextCursor"] is None
    assert all(entry["deletedAt"] and entry["purgeAt"] for entry in page["items"])
    assert listed(stack, team) == [d]

    first = get(stack, team, f"{GALLERY}/trash", limit="2")
    assert [entry["id"] for entry in first["items"]] == [c, a]
    rest = get(stack, team, f"{GALLERY}/trash", limit="2", cursor=first["nextCursor"])
    assert [entry["id"] for entry in rest["items"]] == [b] and rest["nextCursor"] is None
    second_page = get(stack, team, f"{GALLERY}/trash", limit="2", page="2")
    assert [entry["id"] for entry in second_page["items"]] == [b]


# --- restore -------------------------------------------------------------------------------
def test_restore_brings_back_the_objects_tags_and_collections(stack, team) -> None:
    item_id, other_id = stack.make_items(team, 2)
    collection_id = stack.request(
        "POST", f"{GALLERY}/collections", key=team.key, json_body={"name": "Coast"}
    ).json()["id"]
    added = stack.request(
        "POST", f"{GALLERY}/collections/{collection_id}/items", key=team.key, json_body={"itemIds": [item_id]}
    )
    assert added.json()["added"] == [item_id]
    patched = stack.request(
        "PATCH", f"{GALLERY}/{item_id}", key=team.key, json_body={"tags": ["fog", "sea"], "favorite": True}
    )
    assert patched.status == 200
    live = get(stack, team, f"{GALLERY}/{item_id}")
    stored, facets_before, usage = (
        item_objects(team, item_id),
        get(stack, team, f"{GALLERY}/facets"),
        storage(stack, team),
    )

    trash(stack, team, item_id)
    collection = get(stack, team, f"{GALLERY}/collections/{collection_id}")
    assert collection["itemCount"] == 0 and collection["coverUrl"] is None
    assert listed(stack, team, collection=collection_id) == []
    assert listed(stack, team, tags="fog") == []
    trashed_facets = get(stack, team, f"{GALLERY}/facets")
    assert trashed_facets["tags"] == {} and trashed_facets["collections"] == {collection_id: 0}
    assert trashed_facets["favorites"] == 0

    response = restore(stack, team, item_id)

    assert response.status == 200, response.body
    restored = response.json()
    assert restored["deletedAt"] is None and restored["purgeAt"] is None
    assert restored["tags"] == ["fog", "sea"] and restored["collections"] == [collection_id]
    assert restored["favorite"] is True
    assert {k: v for k, v in restored.items() if k != "updatedAt"} == {
        k: v for k, v in live.items() if k != "updatedAt"
    }
    assert item_objects(team, item_id) == stored
    assert trashed_objects(team, item_id) == {}
    assert media_status(stack, restored["url"]) == 302
    assert set(listed(stack, team)) == {item_id, other_id}
    assert listed(stack, team, collection=collection_id) == [item_id]
    assert listed(stack, team, tags="fog,sea") == [item_id]
    collection = get(stack, team, f"{GALLERY}/collections/{collection_id}")
    assert collection["itemCount"] == 1 and collection["coverUrl"] == restored["thumbnailUrl"]
    assert get(stack, team, f"{GALLERY}/facets") == facets_before
    assert storage(stack, team) == usage
    assert get(stack, team, f"{GALLERY}/trash")["items"] == []


def test_restoring_a_live_item_is_harmless(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)
    live, stored = get(stack, team, f"{GALLERY}/{item_id}"), item_objects(team, item_id)
    facets, usage = get(stack, team, f"{GALLERY}/facets"), storage(stack, team)

    response = restore(stack, team, item_id)

    assert response.status == 200, response.body
    assert response.json() == live
    assert get(stack, team, f"{GALLERY}/{item_id}") == live
    assert item_objects(team, item_id) == stored and trashed_objects(team, item_id) == {}
    assert get(stack, team, f"{GALLERY}/facets") == facets
    assert storage(stack, team) == usage


def test_deleting_twice_is_harmless(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)
    first = trash(stack, team, item_id).json()
    state = (
        without_signatures(get(stack, team, f"{GALLERY}/{item_id}")),
        trashed_objects(team, item_id),
        get(stack, team, f"{GALLERY}/facets"),
        storage(stack, team),
    )

    again = trash(stack, team, item_id)

    assert again.status == 200, again.body
    assert again.json() == first  # the first deletion's times: the 30 days do not start over
    assert state == (
        without_signatures(get(stack, team, f"{GALLERY}/{item_id}")),
        trashed_objects(team, item_id),
        get(stack, team, f"{GALLERY}/facets"),
        storage(stack, team),
    )
    assert state[1] and item_objects(team, item_id) == {}
    assert state[2]["trash"] == 1


# --- permanent delete ----------------------------------------------------------------------
def test_permanent_delete_of_a_live_item_is_a_conflict(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)
    live, stored = get(stack, team, f"{GALLERY}/{item_id}"), item_objects(team, item_id)

    response = forever(stack, team, item_id)

    assert response.status == 409, response.body
    assert response.json()["code"] == "conflict" and response.json()["error"]
    assert get(stack, team, f"{GALLERY}/{item_id}") == live
    assert item_objects(team, item_id) == stored
    assert forever(stack, team, "gal_01jd0000000000000000000000").status == 404


def test_permanent_delete_from_the_trash_frees_exactly_the_items_bytes(stack, team) -> None:
    item_id, kept_id = stack.make_items(team, 2)
    trash(stack, team, item_id)
    item_bytes = sum(trashed_objects(team, item_id).values())
    assert item_bytes > 0
    usage = storage(stack, team)
    assert usage["trashBytes"] == item_bytes and usage["itemCount"] == 2

    response = forever(stack, team, item_id)

    assert response.status == 204, response.body
    assert response.body == b""
    gone = stack.request("GET", f"{GALLERY}/{item_id}", key=team.key)
    assert gone.status == 404 and gone.json()["code"] == "not_found"
    assert trashed_objects(team, item_id) == {} and item_objects(team, item_id) == {}
    after = storage(stack, team)
    assert after["used"] == usage["used"] - item_bytes
    assert after["itemCount"] == usage["itemCount"] - 1
    assert after["trashBytes"] == usage["trashBytes"] - item_bytes == 0
    empty_trash = get(stack, team, f"{GALLERY}/trash")
    assert (empty_trash["items"], empty_trash["total"], empty_trash["nextCursor"]) == ([], 0, None)
    assert get(stack, team, f"{GALLERY}/facets")["trash"] == 0
    assert listed(stack, team) == [kept_id]
    # gone means gone: no restore, no second permanent delete
    assert restore(stack, team, item_id).status == 404
    assert forever(stack, team, item_id).status == 404
    assert trash(stack, team, item_id).status == 404


def test_storage_usage_is_the_bucket_after_a_sequence_of_changes(stack, team) -> None:
    def assert_usage_matches_bucket() -> None:
        usage = storage(stack, team)
        live = objects(f"teams/{team.team_id}/")
        trashed = objects(f"trash/teams/{team.team_id}/")
        assert usage["used"] == sum(live.values()) + sum(trashed.values())
        assert usage["trashBytes"] == sum(trashed.values())
        records = get(stack, team, GALLERY)["total"] + get(stack, team, f"{GALLERY}/trash")["total"]
        assert usage["itemCount"] == records

    a, b, c, d = stack.make_items(team, 4)
    assert_usage_matches_bucket()
    for item_id in (a, b, c):
        trash(stack, team, item_id)
    assert_usage_matches_bucket()
    restore(stack, team, a)
    assert_usage_matches_bucket()
    assert forever(stack, team, b).status == 204
    assert_usage_matches_bucket()
    (e,) = stack.make_items(team, 1)
    trash(stack, team, e)
    trash(stack, team, e)
    restore(stack, team, d)
    assert_usage_matches_bucket()
    assert forever(stack, team, c).status == 204
    assert forever(stack, team, e).status == 204
    assert_usage_matches_bucket()
    assert set(listed(stack, team)) == {a, d}
    assert storage(stack, team)["trashBytes"] == 0

    more = stack.make_items(team, 6)
    bulk = {"itemIds": [*more, a, d]}
    assert stack.request("POST", f"{GALLERY}/bulk/delete", key=team.key, json_body=bulk).status == 200
    assert_usage_matches_bucket()
    assert listed(stack, team) == []
    bulk = {"itemIds": more[:3]}
    assert stack.request("POST", f"{GALLERY}/bulk/restore", key=team.key, json_body=bulk).status == 200
    assert_usage_matches_bucket()
    assert set(listed(stack, team)) == set(more[:3])


def test_an_archived_favorite_comes_back_as_it_was(stack, team) -> None:
    item_id, other_id = stack.make_items(team, 2)
    patched = stack.request(
        "PATCH",
        f"{GALLERY}/{item_id}",
        key=team.key,
        json_body={"archived": True, "favorite": True, "rating": 4},
    )
    assert patched.status == 200
    facets = get(stack, team, f"{GALLERY}/facets")
    assert (facets["total"], facets["archived"], facets["favorites"], facets["trash"]) == (1, 1, 0, 0)

    trash(stack, team, item_id)
    trashed = get(stack, team, f"{GALLERY}/facets")
    assert (trashed["total"], trashed["archived"], trashed["favorites"], trashed["trash"]) == (1, 0, 0, 1)
    assert listed(stack, team, archived="true") == []
    assert [entry["id"] for entry in get(stack, team, f"{GALLERY}/trash")["items"]] == [item_id]
    download = stack.request("GET", f"{GALLERY}/{item_id}/download", key=team.key)
    assert download.status == 404 and download.json()["code"] == "not_found"

    restored = restore(stack, team, item_id).json()
    assert (restored["archived"], restored["favorite"], restored["rating"]) == (True, True, 4)
    assert get(stack, team, f"{GALLERY}/facets") == facets
    assert listed(stack, team, archived="true") == [item_id]
    assert listed(stack, team) == [other_id]


# --- tenancy -------------------------------------------------------------------------------
def test_another_team_cannot_trash_restore_or_erase_an_item(stack, team, other_team) -> None:
    live_id, trashed_id = stack.make_items(team, 2)
    trash(stack, team, trashed_id)

    def state() -> tuple:
        return (
            get(stack, team, f"{GALLERY}/{live_id}"),
            without_signatures(get(stack, team, f"{GALLERY}/{trashed_id}")),
            get(stack, team, f"{GALLERY}/facets"),
            without_signatures(get(stack, team, f"{GALLERY}/trash")),
            storage(stack, team),
            objects(f"teams/{team.team_id}/"),
            objects(f"trash/teams/{team.team_id}/"),
        )

    before = state()
    for item_id in (live_id, trashed_id):
        for method, path in (
            ("GET", f"{GALLERY}/{item_id}"),
            ("DELETE", f"{GALLERY}/{item_id}"),
            ("POST", f"{GALLERY}/{item_id}/restore"),
            ("DELETE", f"{GALLERY}/{item_id}/forever"),
        ):
            response = stack.request(method, path, key=other_team.key)
            assert response.status == 404, (method, path, response.body)
            assert response.json()["code"] == "not_found"

    assert state() == before
    assert get(stack, other_team, f"{GALLERY}/trash")["items"] == []
    assert get(stack, other_team, f"{GALLERY}/facets")["trash"] == 0
    assert storage(stack, other_team)["used"] == 0


def test_an_item_whose_files_are_already_gone_can_still_be_trashed_and_deleted(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)
    s3 = boto3.client("s3", region_name="us-east-1")
    for key in objects(f"teams/{team.team_id}/items/{item_id}/"):
        s3.delete_object(Bucket=get_settings().media_bucket, Key=key)

    trashed = stack.request("DELETE", f"{GALLERY}/{item_id}", key=team.key)
    forever = stack.request("DELETE", f"{GALLERY}/{item_id}/forever", key=team.key)

    assert trashed.status == 200, trashed.body
    assert forever.status == 204
    assert stack.request("GET", f"{GALLERY}/{item_id}", key=team.key).status == 404


def test_an_item_whose_trash_copies_expired_cannot_be_restored(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)
    trash(stack, team, item_id)
    s3 = boto3.client("s3", region_name="us-east-1")
    expired = sorted(trashed_objects(team, item_id))
    s3.delete_object(Bucket=get_settings().media_bucket, Key=expired[-1])  # S3 expired one of them

    response = restore(stack, team, item_id)

    assert response.status == 410
    assert response.json()["code"] == "gone"
    assert listed(stack, team, f"{GALLERY}/trash") == [item_id]
    assert item_objects(team, item_id) == {}  # the copies back that did succeed were removed again


def test_a_trash_that_fails_half_way_leaves_the_item_as_it_was(stack, team, monkeypatch) -> None:
    (item_id,) = stack.make_items(team, 1)
    before = item_objects(team, item_id)
    real_copy = MediaStorage.copy
    copies = []

    def copy_then_fail(storage: MediaStorage, source: str, target: str) -> bool:
        copies.append(source)
        if len(copies) == 2:
            raise StorageUnavailable("503 SlowDown")
        return real_copy(storage, source, target)

    monkeypatch.setattr(MediaStorage, "copy", copy_then_fail)
    response = trash(stack, team, item_id)

    assert response.status == 503 and response.json()["code"] == "storage_failed"
    assert get(stack, team, f"{GALLERY}/{item_id}")["deletedAt"] is None
    assert item_objects(team, item_id) == before
    assert trashed_objects(team, item_id) == {}  # the one copy made was removed


def test_a_restore_that_loses_to_the_purge_leaves_no_files_behind(stack, team, monkeypatch) -> None:
    (item_id,) = stack.make_items(team, 1)
    purge_at = trash(stack, team, item_id).json()["purgeAt"]
    real_before_write = ObjectMove.before_write

    def copy_back_then_purge(move: ObjectMove, changes: list) -> dict:
        refusals = real_before_write(move, changes)
        due = datetime.fromisoformat(purge_at.replace("Z", "+00:00")) + timedelta(minutes=1)
        TrashPurge(now=lambda: due).sweep()  # the daily purge runs while the restore is under way
        return refusals

    monkeypatch.setattr(ObjectMove, "before_write", copy_back_then_purge)
    response = restore(stack, team, item_id)

    assert response.status == 404
    assert item_objects(team, item_id) == {} and trashed_objects(team, item_id) == {}
    assert storage(stack, team)["used"] == 0
