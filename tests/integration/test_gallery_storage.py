"""GET /api/v1/gallery/storage: what the gallery takes, of what the plan allows."""

from __future__ import annotations

import boto3

from galleria.config import get_settings
from galleria.domain.teams import Plan


def _stored_bytes(team_id: str) -> int:
    s3 = boto3.client("s3", region_name="us-east-1")
    listed = s3.list_objects_v2(Bucket=get_settings().media_bucket, Prefix=f"teams/{team_id}/")
    return sum(entry["Size"] for entry in listed.get("Contents", []))


def test_an_empty_gallery(stack, make_team) -> None:
    free = make_team(plan=Plan.FREE)
    storage = stack.request("GET", "/api/v1/gallery/storage", key=free.key).json()
    assert storage == {
        "used": 0,
        "limit": 1024**3,
        "usedFormatted": "0 B",
        "limitFormatted": "1.0 GB",
        "plan": "free",
        "itemCount": 0,
        "trashBytes": 0,
    }


def test_usage_is_the_sum_of_the_stored_objects(stack, team) -> None:
    body = {"prompt": "A lighthouse", "model": "local/procedural", "numImages": 3, "async": True}
    stack.request("POST", "/api/v1/generate-image", key=team.key, json_body=body)
    stack.run_workers()

    storage = stack.request("GET", "/api/v1/gallery/storage", key=team.key).json()

    assert storage["itemCount"] == 3
    assert storage["used"] == _stored_bytes(team.team_id) > 0
    assert storage["usedFormatted"].endswith(("KB", "MB"))
    assert (storage["plan"], storage["limitFormatted"]) == ("pro", "50 GB")


def test_enterprise_storage_is_unlimited(stack, make_team) -> None:
    big = make_team(plan=Plan.ENTERPRISE)
    storage = stack.request("GET", "/api/v1/gallery/storage", key=big.key).json()
    assert storage["limit"] is None and storage["limitFormatted"] == "Unlimited"


def test_each_team_sees_its_own_storage(stack, team, other_team) -> None:
    body = {"prompt": "A lighthouse", "model": "local/procedural", "async": True}
    stack.request("POST", "/api/v1/generate-image", key=team.key, json_body=body)
    stack.run_workers()
    assert stack.request("GET", "/api/v1/gallery/storage", key=other_team.key).json()["used"] == 0
    assert stack.request("GET", "/api/v1/gallery/storage").status == 401
