"""The share management routes (authenticated), for items and collections, through the handlers."""

from __future__ import annotations

import pytest

GALLERY = "/api/v1/gallery"


@pytest.fixture
def item_id(stack, team) -> str:
    return stack.make_items(team, 1)[0]


@pytest.fixture
def collection_id(stack, team, item_id) -> str:
    made = stack.request("POST", f"{GALLERY}/collections", key=team.key, json_body={"name": "Shots"})
    collection = made.json()["id"]
    stack.request(
        "POST", f"{GALLERY}/collections/{collection}/items", key=team.key, json_body={"itemIds": [item_id]}
    )
    return collection


def test_sharing_answers_201_then_200_with_the_same_link(stack, team, item_id) -> None:
    body = {"expiresIn": "1d", "password": "hunter2", "allowDownload": True}

    first = stack.request("POST", f"{GALLERY}/{item_id}/share", key=team.key, json_body=body)
    second = stack.request("POST", f"{GALLERY}/{item_id}/share", key=team.key, json_body=body)

    assert (first.status, second.status) == (201, 200)
    share = first.json()
    assert second.json()["token"] == share["token"]
    assert share["shareUrl"] == f"https://testserver/share/{share['token']}"
    assert share["passwordProtected"] is True and "hunter2" not in first.body.decode()
    assert (share["allowDownload"], share["showMetadata"], share["maxViews"]) == (True, True, None)
    assert (share["views"], share["failedPasswordAttempts"], share["lastViewedAt"]) == (0, 0, None)
    assert share["expiresAt"] > share["createdAt"]


def test_a_share_without_a_body_takes_the_defaults(stack, team, item_id) -> None:
    share = stack.request("POST", f"{GALLERY}/{item_id}/share", key=team.key).json()

    assert (share["expiresIn"], share["allowDownload"], share["passwordProtected"]) == ("7d", False, False)


def test_patch_changes_options_and_removes_the_password(stack, team, item_id) -> None:
    stack.request("POST", f"{GALLERY}/{item_id}/share", key=team.key, json_body={"password": "pw"})

    patched = stack.request(
        "PATCH",
        f"{GALLERY}/{item_id}/share",
        key=team.key,
        json_body={"password": None, "maxViews": 5, "expiresIn": "never", "showMetadata": False},
    )
    read = stack.request("GET", f"{GALLERY}/{item_id}/share", key=team.key).json()

    assert patched.status == 200
    assert (read["passwordProtected"], read["maxViews"], read["expiresAt"], read["showMetadata"]) == (
        False,
        5,
        None,
        False,
    )


def test_revoke_keeps_the_record_for_audit(stack, team, item_id) -> None:
    old = stack.request("POST", f"{GALLERY}/{item_id}/share", key=team.key).json()

    revoked = stack.request("DELETE", f"{GALLERY}/{item_id}/share", key=team.key)
    gone = stack.request("GET", f"{GALLERY}/{item_id}/share", key=team.key)
    again = stack.request("DELETE", f"{GALLERY}/{item_id}/share", key=team.key)
    new = stack.request("POST", f"{GALLERY}/{item_id}/share", key=team.key)
    history = stack.request("GET", f"{GALLERY}/{item_id}/shares", key=team.key).json()["shares"]

    assert revoked.status == 200 and revoked.json()["revokedAt"]
    assert (gone.status, again.status, new.status) == (404, 404, 201)
    assert [share["token"] for share in history] == [new.json()["token"], old["token"]]
    assert history[1]["revokedAt"] == revoked.json()["revokedAt"]


def test_collections_share_the_same_way(stack, team, collection_id) -> None:
    path = f"{GALLERY}/collections/{collection_id}/share"

    first = stack.request("POST", path, key=team.key, json_body={"allowDownload": True})
    second = stack.request("POST", path, key=team.key)
    revoked = stack.request("DELETE", path, key=team.key)
    history = stack.request("GET", f"{GALLERY}/collections/{collection_id}/shares", key=team.key)

    assert (first.status, second.status, revoked.status) == (201, 200, 200)
    assert [share["token"] for share in history.json()["shares"]] == [first.json()["token"]]


def test_an_item_in_the_trash_gets_no_new_link(stack, team, item_id) -> None:
    stack.request("DELETE", f"{GALLERY}/{item_id}", key=team.key)

    response = stack.request("POST", f"{GALLERY}/{item_id}/share", key=team.key)

    assert response.status == 409
    assert "restore it" in response.json()["error"]
    assert stack.request("GET", f"{GALLERY}/{item_id}/shares", key=team.key).json()["shares"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expiresIn": "2d"}, "expiresIn"),
        ({"password": ""}, "password"),
        ({"password": "x" * 201}, "password"),
        ({"allowDownload": "yes"}, "allowDownload"),
        ({"maxViews": 0}, "maxViews"),
        ({"public": True}, "public"),
    ],
)
def test_bad_share_options_are_refused_with_a_reason(stack, team, item_id, body: dict, field: str) -> None:
    response = stack.request("POST", f"{GALLERY}/{item_id}/share", key=team.key, json_body=body)

    assert response.status == 400
    assert field in response.json()["error"]


def test_another_team_gets_404_on_every_share_route(stack, team, other_team, item_id, collection_id) -> None:
    for target in (f"{GALLERY}/{item_id}", f"{GALLERY}/collections/{collection_id}"):
        stack.request("POST", f"{target}/share", key=team.key, json_body={"password": "pw"})
        before = stack.request("GET", f"{target}/share", key=team.key).json()

        answers = [
            stack.request("POST", f"{target}/share", key=other_team.key).status,
            stack.request("GET", f"{target}/share", key=other_team.key).status,
            stack.request(
                "PATCH", f"{target}/share", key=other_team.key, json_body={"password": None}
            ).status,
            stack.request("DELETE", f"{target}/share", key=other_team.key).status,
            stack.request("GET", f"{target}/shares", key=other_team.key).status,
        ]

        assert answers == [404] * 5
        assert stack.request("GET", f"{target}/share", key=team.key).json() == before
