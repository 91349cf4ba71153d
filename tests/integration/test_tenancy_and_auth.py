"""Every authenticated route: 401 without a valid key, 404 for another team's ids."""

from __future__ import annotations

import pytest

AUTHENTICATED_ROUTES = [
    ("POST", "/api/v1/generate-image"),
    ("GET", "/api/v1/jobs/job_01jd0000000000000000000000"),
    ("GET", "/api/v1/account"),
    ("GET", "/api/v1/gallery"),
    ("GET", "/api/v1/gallery/gal_01jd0000000000000000000000"),
    ("GET", "/api/v1/gallery/gal_01jd0000000000000000000000/download"),
]


@pytest.mark.parametrize(("method", "path"), AUTHENTICATED_ROUTES)
@pytest.mark.parametrize("key", [None, "glr_not-a-real-key"])
def test_authenticated_routes_answer_401_without_a_valid_key(
    stack, team, method: str, path: str, key
) -> None:
    response = stack.request(method, path, key=key, json_body={"prompt": "x"} if method == "POST" else None)

    assert response.status == 401
    assert response.json()["code"] == "unauthorized"


def test_a_revoked_key_stops_working(stack, team) -> None:
    from galleria.accounts import admin
    from galleria.accounts.repository import AccountsRepository

    repo = AccountsRepository()
    key_id = repo.list_keys(team.team_id)[0].key_id
    assert stack.request("GET", "/api/v1/account", key=team.key).status == 200

    admin.revoke_key(repo, team.team_id, key_id)

    assert stack.request("GET", "/api/v1/account", key=team.key).status == 401
    assert repo.list_keys(team.team_id)[0].revoked_at is not None  # kept for audit


def test_models_are_public(stack) -> None:
    response = stack.request("GET", "/api/v1/models")

    assert response.status == 200
    models = {m["id"]: m for m in response.json()["models"]}
    assert models["local/procedural"]["available"] is True
    assert models["local/procedural"]["default"] is True
    assert models["openai/gpt-5-nano"]["available"] is False
    assert response.json()["aspectRatios"] == ["1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"]


def test_another_teams_ids_answer_404_and_its_items_never_list(stack, team, other_team) -> None:
    # Given an item and a job of the first team
    job_id = stack.request(
        "POST", "/api/v1/generate-image", key=team.key, json_body={"prompt": "secret", "async": True}
    ).json()["jobId"]
    stack.run_workers()
    item_id = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()["result"]["images"][0][
        "galleryId"
    ]

    # Then the second team cannot see or use them
    for path in (
        f"/api/v1/jobs/{job_id}",
        f"/api/v1/gallery/{item_id}",
        f"/api/v1/gallery/{item_id}/download",
    ):
        response = stack.request("GET", path, key=other_team.key)
        assert response.status == 404, path
        assert response.json()["code"] == "not_found"
    assert stack.request("GET", "/api/v1/gallery", key=other_team.key).json() == {
        "items": [],
        "total": 0,
        "page": 1,
        "pageSize": 20,
        "nextCursor": None,
    }
    remix = stack.request(
        "POST",
        "/api/v1/generate-image",
        key=other_team.key,
        json_body={"prompt": "x", "sourceItemId": item_id},
    )
    assert remix.status == 404
    account = stack.request("GET", "/api/v1/account", key=other_team.key).json()
    assert account["teamId"] == other_team.team_id and account["credits"] == 1000

    # And the first team's state is unchanged
    assert stack.request("GET", f"/api/v1/gallery/{item_id}", key=team.key).status == 200
