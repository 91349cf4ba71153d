"""Fifty requests at once on one item, or on many: no update is lost and usage stays exact.

Each request runs in its own copy of the handler module, as concurrent Lambda invocations each
get their own execution environment.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3

from galleria.config import get_settings

GALLERY = "/api/v1/gallery"
PARALLEL = 50


def run_parallel(stack, calls: list[tuple[str, str, Any]], key: str) -> list[int]:
    """Send every (method, path, body) at once, each through its own execution environment; the
    statuses."""
    return [response.status for response in send_parallel(stack, calls, key)]


def send_parallel(stack, calls: list[tuple[str, str, Any]], key: str) -> list[Any]:
    """The responses to every (method, path, body) sent at once."""
    function = stack.route_for(calls[0][0], calls[0][1])[0]
    environments = stack.execution_environments(function, len(calls))

    def send(pair: tuple[Any, tuple[str, str, Any]]) -> Any:
        environment, (method, path, body) = pair
        return environment.request(method, path, key=key, json_body=body)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(send, zip(environments, calls, strict=True)))


def bucket_bytes(team_id: str) -> int:
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = get_settings().media_bucket
    return sum(
        obj["Size"]
        for prefix in (f"teams/{team_id}/", f"trash/teams/{team_id}/")
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    )


def test_fifty_parallel_patches_of_one_item_lose_no_tag(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)
    calls = [
        ("POST", f"{GALLERY}/bulk/tag", {"itemIds": [item_id], "tags": [f"t{n}"]}) for n in range(PARALLEL)
    ]

    statuses = run_parallel(stack, calls, team.key)

    assert statuses == [200] * PARALLEL
    item = stack.request("GET", f"{GALLERY}/{item_id}", key=team.key).json()
    assert sorted(item["tags"]) == sorted(f"t{n}" for n in range(PARALLEL))
    facets = stack.request("GET", f"{GALLERY}/facets", key=team.key).json()
    assert facets["tags"] == {f"t{n}": 1 for n in range(PARALLEL)}


def test_fifty_parallel_patches_of_different_fields_all_land(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)
    bodies = [{"title": "Harbour"}, {"rating": 4}, {"tags": ["sea"]}] + [
        {"favorite": n % 2 == 0} for n in range(47)
    ]
    calls = [("PATCH", f"{GALLERY}/{item_id}", body) for body in bodies]

    statuses = run_parallel(stack, calls, team.key)
    item = stack.request("GET", f"{GALLERY}/{item_id}", key=team.key).json()

    assert statuses == [200] * PARALLEL
    assert (item["title"], item["rating"], item["tags"]) == ("Harbour", 4, ["sea"])
    facets = stack.request("GET", f"{GALLERY}/facets", key=team.key).json()
    assert facets["favorites"] == int(item["favorite"])


def test_fifty_parallel_favorite_toggles_each_see_their_own_turn(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)
    calls = [("POST", f"{GALLERY}/{item_id}/favorite", None)] * PARALLEL

    responses = send_parallel(stack, calls, team.key)

    assert [response.status for response in responses] == [200] * PARALLEL
    answers = [response.json()["favorite"] for response in responses]
    assert answers.count(True) == answers.count(False) == PARALLEL // 2  # no toggle lost or doubled
    assert stack.request("GET", f"{GALLERY}/{item_id}", key=team.key).json()["favorite"] is False
    assert stack.request("GET", f"{GALLERY}/facets", key=team.key).json()["favorites"] == 0


def test_fifty_parallel_bulk_deletes_and_restores_leave_usage_exact(stack, team) -> None:
    item_ids = stack.make_items(team, 8)
    halves = [item_ids[:4], item_ids[4:], item_ids]
    deletes = [("POST", f"{GALLERY}/bulk/delete", {"itemIds": halves[n % 3]}) for n in range(PARALLEL)]
    restores = [("POST", f"{GALLERY}/bulk/restore", {"itemIds": halves[n % 3]}) for n in range(PARALLEL)]

    deleted = run_parallel(stack, deletes, team.key)
    storage_in_trash = stack.request("GET", f"{GALLERY}/storage", key=team.key).json()
    restored = run_parallel(stack, restores, team.key)
    storage_after = stack.request("GET", f"{GALLERY}/storage", key=team.key).json()

    assert deleted == [200] * PARALLEL and restored == [200] * PARALLEL
    assert storage_in_trash["itemCount"] == 8 and storage_in_trash["trashBytes"] == storage_in_trash["used"]
    assert storage_in_trash["used"] == bucket_bytes(team.team_id)
    assert storage_after["trashBytes"] == 0 and storage_after["itemCount"] == 8
    assert storage_after["used"] == bucket_bytes(team.team_id) == storage_in_trash["used"]
    facets = stack.request("GET", f"{GALLERY}/facets", key=team.key).json()
    assert (facets["total"], facets["trash"]) == (8, 0)
