"""Trash leaving for good: S3's lifecycle expiry events and the daily purge, with an injected clock.

moto stores lifecycle rules but never runs them, so expiry events are built as S3 sends them, and
the clock is moved forward instead of waiting 30 days.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from gallery_storage import PNG, upload

from galleria import clock
from galleria.config import get_settings
from galleria_local.in_process import LambdaContext, sqs_event


def bucket_bytes(team_id: str) -> int:
    """Bytes the team's objects take in the bucket, live and trashed."""
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = get_settings().media_bucket
    total = 0
    for prefix in (f"teams/{team_id}/", f"trash/teams/{team_id}/"):
        total += sum(o["Size"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))
    return total


def storage(stack, team) -> dict[str, Any]:
    return stack.request("GET", "/api/v1/gallery/storage", key=team.key).json()


def assert_usage_matches_the_bucket(stack, team) -> None:
    used = storage(stack, team)
    assert used["used"] == bucket_bytes(team.team_id)
    listed = stack.request("GET", "/api/v1/gallery", key=team.key).json()["total"]
    archived = stack.request("GET", "/api/v1/gallery", key=team.key, query={"archived": "true"}).json()
    trashed = stack.request("GET", "/api/v1/gallery/trash", key=team.key).json()
    assert used["itemCount"] == listed + archived["total"] + trashed["total"]
    trashed_ids = {item["id"] for item in trashed["items"]}
    assert used["trashBytes"] == sum(
        o["Size"]
        for o in boto3.client("s3", region_name="us-east-1")
        .list_objects_v2(Bucket=get_settings().media_bucket, Prefix=f"trash/teams/{team.team_id}/")
        .get("Contents", [])
        if o["Key"].split("/")[4] in trashed_ids
    )


def trash(stack, team, item_ids: list[str]) -> dict[str, str]:
    """Trash the items; returns their purgeAt by id."""
    purge_at = {}
    for item_id in item_ids:
        response = stack.request("DELETE", f"/api/v1/gallery/{item_id}", key=team.key)
        assert response.status == 200, response.body
        purge_at[item_id] = response.json()["purgeAt"]
    return purge_at


def at(monkeypatch: pytest.MonkeyPatch, moment: str | datetime, shift: timedelta = timedelta()) -> None:
    """Set the service's clock."""
    when = datetime.fromisoformat(moment.replace("Z", "+00:00")) if isinstance(moment, str) else moment
    monkeypatch.setattr(clock, "now", lambda: when + shift)


def expiry_message(key: str) -> dict[str, Any]:
    """The ingest queue's message for S3 expiring ``key`` under the trash/ lifecycle rule."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "LifecycleExpiration:Delete",
        "s3": {"bucket": {"name": get_settings().media_bucket}, "object": {"key": quote_plus(key, safe="/")}},
    }
    return {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": "handle",
        "Body": json.dumps({"Records": [record]}),
        "MD5OfBody": "-",
    }


def expire(stack, team, item_id: str) -> dict[str, Any]:
    key = f"trash/teams/{team.team_id}/items/{item_id}/original.png"
    boto3.client("s3", region_name="us-east-1").delete_object(Bucket=get_settings().media_bucket, Key=key)
    return stack.handler("IngestWorkerFunction")(sqs_event([expiry_message(key)]), LambdaContext())


def run_purge(stack, remaining_ms: int = 900_000) -> dict[str, Any]:
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    return stack.handler("TrashPurgeFunction")(event, LambdaContext(remaining_ms))


def test_an_expired_trash_object_takes_its_item_with_it(stack, team, monkeypatch) -> None:
    kept, gone = stack.make_items(team, 2)
    purge_at = trash(stack, team, [gone])
    at(monkeypatch, purge_at[gone], timedelta(minutes=5))

    result = expire(stack, team, gone)

    assert result == {"batchItemFailures": []}
    assert stack.request("GET", f"/api/v1/gallery/{gone}", key=team.key).status == 404
    assert stack.request("GET", "/api/v1/gallery/trash", key=team.key).json()["total"] == 0
    facets = stack.request("GET", "/api/v1/gallery/facets", key=team.key).json()
    assert (facets["total"], facets["trash"]) == (1, 0)
    assert stack.request("GET", f"/api/v1/gallery/{kept}", key=team.key).status == 200
    assert storage(stack, team)["trashBytes"] == 0
    assert_usage_matches_the_bucket(stack, team)  # the item's other trash copies went too


@pytest.mark.parametrize(
    ("shift", "purged"),
    [
        (timedelta(hours=-12), True),  # S3 rounds expiry to midnight UTC: a little early is expected
        (timedelta(days=-2), False),  # too early to be this item's expiry: left alone
    ],
)
def test_expiry_near_purge_at_is_honoured_and_far_before_it_is_not(
    stack, team, monkeypatch, shift: timedelta, purged: bool
) -> None:
    (item_id,) = stack.make_items(team, 1)
    purge_at = trash(stack, team, [item_id])
    at(monkeypatch, purge_at[item_id], shift)

    expire(stack, team, item_id)

    status = stack.request("GET", f"/api/v1/gallery/{item_id}", key=team.key).status
    assert status == (404 if purged else 200)


def test_an_expiry_event_for_a_restored_item_changes_nothing(stack, team, monkeypatch) -> None:
    (item_id,) = stack.make_items(team, 1)
    purge_at = trash(stack, team, [item_id])
    assert stack.request("POST", f"/api/v1/gallery/{item_id}/restore", key=team.key).status == 200
    at(monkeypatch, purge_at[item_id], timedelta(days=1))

    result = expire(stack, team, item_id)

    assert result == {"batchItemFailures": []}
    item = stack.request("GET", f"/api/v1/gallery/{item_id}", key=team.key).json()
    assert item["deletedAt"] is None
    download = stack.request("GET", f"/api/v1/gallery/{item_id}/download", key=team.key)
    assert download.status == 200


def test_a_redelivered_expiry_event_counts_the_item_out_once(stack, team, monkeypatch) -> None:
    _, gone = stack.make_items(team, 2)
    purge_at = trash(stack, team, [gone])
    at(monkeypatch, purge_at[gone], timedelta(minutes=5))

    first = expire(stack, team, gone)
    second = expire(stack, team, gone)

    assert first == second == {"batchItemFailures": []}
    assert storage(stack, team)["itemCount"] == 1
    assert_usage_matches_the_bucket(stack, team)


def test_events_for_other_keys_are_acknowledged_and_ignored(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)
    odd_keys = ["trash/stray.png", f"trash/teams/{team.team_id}/items/", "exports/a.zip"]
    messages = [expiry_message(key) for key in odd_keys]

    result = stack.handler("IngestWorkerFunction")(sqs_event(messages), LambdaContext())

    assert result == {"batchItemFailures": []}
    assert stack.request("GET", f"/api/v1/gallery/{item_id}", key=team.key).status == 200


def test_the_daily_purge_removes_only_items_past_their_purge_at(stack, make_team, monkeypatch) -> None:
    early, late = make_team(), make_team()
    early_ids = stack.make_items(early, 3)
    late_ids = stack.make_items(late, 2)
    start = clock.now()
    purge_at = trash(stack, early, early_ids)
    at(monkeypatch, start, timedelta(days=10))
    trash(stack, late, late_ids)
    at(monkeypatch, max(purge_at.values()), timedelta(minutes=1))

    first = run_purge(stack)
    second = run_purge(stack)

    assert first == {"purged": 3, "finished": True}
    assert second == {"purged": 0, "finished": True}  # nothing twice
    assert stack.request("GET", "/api/v1/gallery/trash", key=early.key).json()["total"] == 0
    assert bucket_bytes(early.team_id) == 0 and storage(stack, early)["used"] == 0
    late_trash = stack.request("GET", "/api/v1/gallery/trash", key=late.key).json()
    assert sorted(item["id"] for item in late_trash["items"]) == sorted(late_ids)
    assert_usage_matches_the_bucket(stack, late)


def test_the_purge_removes_items_whose_files_s3_already_expired(stack, team, monkeypatch) -> None:
    item_ids = stack.make_items(team, 2)
    purge_at = trash(stack, team, item_ids)
    s3 = boto3.client("s3", region_name="us-east-1")
    for obj in s3.list_objects_v2(Bucket=get_settings().media_bucket, Prefix="trash/").get("Contents", []):
        s3.delete_object(Bucket=get_settings().media_bucket, Key=obj["Key"])  # expired, event lost
    at(monkeypatch, max(purge_at.values()), timedelta(minutes=1))

    result = run_purge(stack)

    assert result == {"purged": 2, "finished": True}
    assert storage(stack, team)["used"] == 0 == bucket_bytes(team.team_id)


def test_the_purge_stops_early_when_its_time_runs_out(stack, team, monkeypatch) -> None:
    item_ids = stack.make_items(team, 1)
    purge_at = trash(stack, team, item_ids)
    at(monkeypatch, purge_at[item_ids[0]], timedelta(minutes=1))

    result = run_purge(stack, remaining_ms=5_000)

    assert result == {"purged": 0, "finished": False}
    assert stack.request("GET", "/api/v1/gallery/trash", key=team.key).json()["total"] == 1


def test_storage_stays_exact_through_every_way_in_and_out(stack, team, monkeypatch) -> None:
    generated = stack.make_items(team, 5)
    assert_usage_matches_the_bucket(stack, team)
    uploaded = upload(stack, team, PNG)["itemId"]
    assert_usage_matches_the_bucket(stack, team)
    purge_at = trash(stack, team, [*generated[:4], uploaded])
    assert_usage_matches_the_bucket(stack, team)
    stack.request("POST", f"/api/v1/gallery/{generated[0]}/restore", key=team.key)
    assert_usage_matches_the_bucket(stack, team)
    stack.request("DELETE", f"/api/v1/gallery/{generated[1]}/forever", key=team.key)
    assert_usage_matches_the_bucket(stack, team)
    at(monkeypatch, purge_at[generated[2]], timedelta(minutes=1))
    expire(stack, team, generated[2])
    assert_usage_matches_the_bucket(stack, team)
    at(monkeypatch, max(purge_at.values()), timedelta(minutes=1))
    run_purge(stack)

    assert_usage_matches_the_bucket(stack, team)
    assert storage(stack, team)["itemCount"] == 2  # generated[0] restored, generated[4] never trashed
    facets = stack.request("GET", "/api/v1/gallery/facets", key=team.key).json()
    left = stack.request("GET", "/api/v1/gallery", key=team.key).json()["items"]
    assert (facets["total"], facets["trash"], facets["types"]["image"]) == (2, 0, 2)
    assert facets["models"] == {"local/procedural": len(left)}  # the upload was purged with the rest


def shared_link_record(token: str) -> dict[str, Any]:
    return boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=get_settings().shares_table, Key={"pk": {"S": f"SHARE#{token}"}}
    )["Item"]


@pytest.mark.parametrize("how", ["expiry event", "daily purge"])
def test_purging_an_item_ends_its_share_link(stack, team, monkeypatch, how: str) -> None:
    (item_id,) = stack.make_items(team, 1)
    token = stack.request("POST", f"/api/v1/gallery/{item_id}/share", key=team.key).json()["token"]
    purge_at = trash(stack, team, [item_id])
    assert "revoked_at" not in shared_link_record(token)  # only suspended while in the trash
    at(monkeypatch, purge_at[item_id], timedelta(minutes=5))

    if how == "expiry event":
        expire(stack, team, item_id)
    else:
        run_purge(stack)

    assert "revoked_at" in shared_link_record(token)
    assert stack.request("GET", f"/share/{token}").status == 404
