"""The AWS calls of the operations whose cost was trimmed to what the data model needs, counted with
the hooks bench/aws_calls_per_operation.py uses for its table: a failure here means a call is back."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from galleria import aws
from galleria.collection_records import CollectionsRepository
from galleria_local.in_process import InProcessStack as Stack
from galleria_local.in_process import TeamKey

ROOT = Path(__file__).resolve().parents[2]
GENERATE = "/api/v1/generate-image"
COLLECTIONS = "/api/v1/gallery/collections"

Counting = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def counted(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Counting:
    """A block counting galleria's DynamoDB and S3 calls."""
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.aws_calls import counting

    return lambda: counting(aws.client("dynamodb"), aws.client("s3"))


def _queued(stack: Stack, team: TeamKey, **options: Any) -> str:
    body = {"prompt": "A lighthouse", "model": "local/procedural", "async": True, **options}
    accepted = stack.request("POST", GENERATE, key=team.key, json_body=body)
    assert accepted.status == 202, accepted.body
    return str(accepted.json()["jobId"])


def _collection(stack: Stack, team: TeamKey) -> str:
    created = stack.request("POST", COLLECTIONS, key=team.key, json_body={"name": "Harbours"})
    assert created.status == 201, created.body
    return str(created.json()["id"])


def test_the_worker_claims_the_job_in_one_call_and_reads_no_item_before_making_it(
    stack, team, counted
) -> None:
    # Given a queued job of four images
    job_id = _queued(stack, team, numImages=4)

    # When its first delivery runs it
    with counted() as count:
        assert stack.deliver(job_id) == {"batchItemFailures": []}

    # Then the job is claimed and read by one update, the team read once, each image written by
    # one transaction and three objects, and the outcome by one more transaction
    assert count.by_service["dynamodb"] == {"UpdateItem": 1, "GetItem": 1, "TransactWriteItems": 5}
    assert count.by_service["s3"] == {"PutObject": 12}
    job = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()
    assert job["status"] == "succeeded" and len(job["result"]["images"]) == 4


def test_a_job_into_a_collection_checks_it_and_refreshes_its_cover_once(stack, team, counted) -> None:
    # Given a queued job of four images into a collection, with tags
    collection_id = _collection(stack, team)
    job_id = _queued(stack, team, numImages=4, collectionId=collection_id, galleryTags=["harbour"])

    # When the worker runs it
    with counted() as count:
        assert stack.deliver(job_id) == {"batchItemFailures": []}

    # Then the collection is read once and its cover refreshed once for the four images
    dynamodb = count.by_service["dynamodb"]
    assert dynamodb["BatchGetItem"] == 1 and dynamodb["Query"] == 1
    assert dynamodb["UpdateItem"] == 2  # the claim and the cover
    assert dynamodb["TransactWriteItems"] == 5
    # and the collection holds the images, its cover the newest of them
    collection = stack.request("GET", f"{COLLECTIONS}/{collection_id}", key=team.key).json()
    newest = stack.request(
        "GET", "/api/v1/gallery", key=team.key, query={"collection": collection_id, "limit": "1"}
    ).json()["items"][0]
    assert collection["itemCount"] == 4 and collection["coverUrl"] == newest["thumbnailUrl"]


def test_deleting_a_member_that_is_not_the_cover_leaves_the_cover_alone(stack, team, counted) -> None:
    # Given a collection of three items
    item_ids = stack.make_items(team, 3)
    collection_id = _collection(stack, team)
    added = stack.request(
        "POST", f"{COLLECTIONS}/{collection_id}/items", key=team.key, json_body={"itemIds": item_ids}
    )
    assert added.status == 200, added.body
    listing = stack.request("GET", "/api/v1/gallery", key=team.key, query={"collection": collection_id})
    oldest = listing.json()["items"][-1]["id"]
    cover = stack.request("GET", f"{COLLECTIONS}/{collection_id}", key=team.key).json()["coverUrl"]

    # When its oldest member goes to the trash, and comes back
    with counted() as deleting:
        assert stack.request("DELETE", f"/api/v1/gallery/{oldest}", key=team.key).status == 200
    with counted() as restoring:
        assert stack.request("POST", f"/api/v1/gallery/{oldest}/restore", key=team.key).status == 200

    # Then each read the item once and the newest member once, and left the cover as it was
    for count in (deleting, restoring):
        assert count.by_service["dynamodb"] == {
            "GetItem": 1,  # the API key
            "BatchGetItem": 1,
            "TransactWriteItems": 1,
            "Query": 1,
        }
    assert stack.request("GET", f"{COLLECTIONS}/{collection_id}", key=team.key).json()["coverUrl"] == cover


def test_a_restored_item_whose_collection_vanished_comes_back_without_it(stack, team) -> None:
    # Given a trashed item of a collection whose record is then gone (deleted by a request racing
    # the collection's own clean-up of its hidden members)
    (item_id,) = stack.make_items(team, 1)
    collection_id = _collection(stack, team)
    stack.request(
        "POST", f"{COLLECTIONS}/{collection_id}/items", key=team.key, json_body={"itemIds": [item_id]}
    )
    assert stack.request("DELETE", f"/api/v1/gallery/{item_id}", key=team.key).status == 200
    CollectionsRepository().delete(team.team_id, collection_id)

    # When it is restored
    restored = stack.request("POST", f"/api/v1/gallery/{item_id}/restore", key=team.key)

    # Then it is back, in no collection
    assert restored.status == 200, restored.body
    assert restored.json()["collections"] == []
    facets = stack.request("GET", "/api/v1/gallery/facets", key=team.key).json()
    assert facets["total"] == 1 and facets["collections"] == {}


def test_a_bulk_delete_written_in_several_transactions_cleans_up_once(stack, team, counted) -> None:
    # Given ten items of a collection with twenty tags each: too many parts for one transaction
    item_ids = stack.make_items(team, 10)
    collection_id = _collection(stack, team)
    tags = [f"tag{n}" for n in range(20)]
    for action, options in (("collect", {"collectionId": collection_id}), ("tag", {"tags": tags})):
        body = {"itemIds": item_ids, **options}
        assert (
            stack.request("POST", f"/api/v1/gallery/bulk/{action}", key=team.key, json_body=body).status
            == 200
        )

    # When they all go to the trash in one request
    with counted() as count:
        deleted = stack.request(
            "POST", "/api/v1/gallery/bulk/delete", key=team.key, json_body={"itemIds": item_ids}
        )

    # Then the writes took several transactions, but the originals went in one DeleteObjects and the
    # collection's cover was looked at once
    assert deleted.status == 200 and sorted(deleted.json()["succeeded"]) == sorted(item_ids)
    assert count.by_service["dynamodb"]["TransactWriteItems"] > 1
    assert count.by_service["s3"] == {"CopyObject": 30, "DeleteObjects": 1}
    assert count.by_service["dynamodb"]["Query"] == 1 and count.by_service["dynamodb"]["UpdateItem"] == 1
    collection = stack.request("GET", f"{COLLECTIONS}/{collection_id}", key=team.key).json()
    assert collection["itemCount"] == 0 and collection["coverUrl"] is None
