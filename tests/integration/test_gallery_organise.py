"""Organising items: PATCH of each field, the favorite toggle, facets and filters, tenancy.

Everything goes through the handlers against moto in-process, as a client of the HTTP API sees it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from galleria.domain.teams import Plan

GALLERY = "/api/v1/gallery"
MODEL = "local/procedural"


def patch(stack, team, item_id: str, body: dict):
    return stack.request("PATCH", f"{GALLERY}/{item_id}", key=team.key, json_body=body)


def item(stack, team, item_id: str) -> dict:
    response = stack.request("GET", f"{GALLERY}/{item_id}", key=team.key)
    assert response.status == 200, response.body
    return response.json()


def facets(stack, team) -> dict:
    response = stack.request("GET", f"{GALLERY}/facets", key=team.key)
    assert response.status == 200, response.body
    return response.json()


def listed(stack, team, **query: str) -> list[str]:
    response = stack.request("GET", GALLERY, key=team.key, query={"limit": "100", **query})
    assert response.status == 200, response.body
    return [entry["id"] for entry in response.json()["items"]]


def assert_error(response, status: int, code: str) -> dict:
    assert response.status == status, response.body
    body = response.json()
    assert body["code"] == code and body["error"], body
    return body


# --- tags ----------------------------------------------------------------------------------
def test_tags_are_trimmed_lower_cased_and_deduplicated(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)

    response = patch(
        stack, team, item_id, {"tags": ["  Sunset ", "sunset", "LANDSCAPE", "Mountain", "mountain "]}
    )

    assert response.status == 200, response.body
    assert response.json()["tags"] == ["sunset", "landscape", "mountain"]
    assert item(stack, team, item_id)["tags"] == ["sunset", "landscape", "mountain"]
    assert facets(stack, team)["tags"] == {"landscape": 1, "mountain": 1, "sunset": 1}
    assert listed(stack, team, tags="Sunset,landscape") == [item_id]

    # tags replace the set
    assert patch(stack, team, item_id, {"tags": ["sea"]}).json()["tags"] == ["sea"]
    assert facets(stack, team)["tags"] == {"sea": 1}
    assert listed(stack, team, tags="sunset") == []
    assert patch(stack, team, item_id, {"tags": []}).json()["tags"] == []
    assert facets(stack, team)["tags"] == {}


def test_tag_limits(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)
    before = item(stack, team, item_id)

    fifty = [f"tag{n}" for n in range(50)]
    too_many = assert_error(patch(stack, team, item_id, {"tags": [*fifty, "tag50"]}), 400, "invalid_request")
    assert "tags" in too_many["error"]
    too_long = assert_error(patch(stack, team, item_id, {"tags": ["x" * 51]}), 400, "invalid_request")
    assert "tags" in too_long["error"]
    assert_error(patch(stack, team, item_id, {"tags": ["   "]}), 400, "invalid_request")
    assert item(stack, team, item_id) == before  # nothing written by a refused request

    # the limits themselves are fine, and duplicates do not count against the 50
    fifty_chars = patch(stack, team, item_id, {"tags": [" " + "Y" * 50 + " "]})
    assert fifty_chars.status == 200 and fifty_chars.json()["tags"] == ["y" * 50]
    response = patch(stack, team, item_id, {"tags": [*fifty, "TAG0", " tag1 "]})
    assert response.status == 200, response.body
    assert response.json()["tags"] == fifty
    assert len(facets(stack, team)["tags"]) == 50


# --- the other fields ----------------------------------------------------------------------
def test_title_is_set_and_cleared_with_null(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)
    assert item(stack, team, item_id)["title"] is None

    set_ = patch(stack, team, item_id, {"title": "  Harbour at dusk  "})
    assert set_.status == 200 and set_.json()["title"] == "Harbour at dusk"
    assert listed(stack, team, search="dusk") == [item_id]

    cleared = patch(stack, team, item_id, {"title": None})
    assert cleared.status == 200 and cleared.json()["title"] is None
    assert item(stack, team, item_id)["title"] is None
    assert listed(stack, team, search="dusk") == []


def test_favorite_visibility_and_rating(stack, team) -> None:
    item_id, other_id = stack.make_items(team, 2)

    assert patch(stack, team, item_id, {"favorite": True}).json()["favorite"] is True
    assert facets(stack, team)["favorites"] == 1
    assert listed(stack, team, favorite="true") == [item_id]
    assert listed(stack, team, favorite="false") == [other_id]
    assert patch(stack, team, item_id, {"favorite": False}).json()["favorite"] is False
    assert facets(stack, team)["favorites"] == 0

    assert item(stack, team, item_id)["visibility"] == "private"  # a pro team's default
    assert patch(stack, team, item_id, {"visibility": "public"}).json()["visibility"] == "public"
    assert item(stack, team, item_id)["visibility"] == "public"
    assert patch(stack, team, item_id, {"visibility": "private"}).json()["visibility"] == "private"
    assert_error(patch(stack, team, item_id, {"visibility": "secret"}), 400, "invalid_request")

    for rating in (0, 5, 3):
        response = patch(stack, team, item_id, {"rating": rating})
        assert response.status == 200 and response.json()["rating"] == rating
    for bad in (6, -1, "4", 2.5):
        assert_error(patch(stack, team, item_id, {"rating": bad}), 400, "invalid_request")
    assert item(stack, team, item_id)["rating"] == 3

    for name in ("favorite", "visibility", "rating", "archived", "tags"):
        body = assert_error(patch(stack, team, item_id, {name: None}), 400, "invalid_request")
        assert name in body["error"]


def test_only_paid_plans_set_visibility_per_item(stack, make_team) -> None:
    # The contract: free-plan teams default to public, "paid plans may set visibility per item"; the page:
    # free users' images are all public. The status of the refusal is not specified.
    free = make_team(plan=Plan.FREE)
    (item_id,) = stack.make_items(free, 1)
    assert item(stack, free, item_id)["visibility"] == "public"

    response = patch(stack, free, item_id, {"visibility": "private"})

    assert response.status in (400, 402, 403), response.body
    assert item(stack, free, item_id)["visibility"] == "public"
    assert patch(stack, free, item_id, {"visibility": "public"}).status == 200


def test_min_rating_filters_the_listing(stack, team) -> None:
    ids = stack.make_items(team, 4)
    for item_id, rating in zip(ids, (0, 1, 3, 5), strict=True):
        assert patch(stack, team, item_id, {"rating": rating}).status == 200

    assert set(listed(stack, team, minRating="0")) == set(ids)
    assert set(listed(stack, team, minRating="3")) == {ids[2], ids[3]}
    assert listed(stack, team, minRating="5") == [ids[3]]
    page = stack.request("GET", GALLERY, key=team.key, query={"minRating": "1"}).json()
    assert page["total"] == 3
    assert_error(
        stack.request("GET", GALLERY, key=team.key, query={"minRating": "6"}), 400, "invalid_request"
    )


def test_archived_items_leave_the_default_listing(stack, team) -> None:
    archived_id, kept_id = stack.make_items(team, 2)
    patch(stack, team, archived_id, {"tags": ["old"], "favorite": True})

    response = patch(stack, team, archived_id, {"archived": True})

    assert response.status == 200 and response.json()["archived"] is True
    assert listed(stack, team) == [kept_id]
    assert stack.request("GET", GALLERY, key=team.key).json()["total"] == 1
    assert listed(stack, team, archived="true") == [archived_id]
    assert listed(stack, team, tags="old") == []
    counts = facets(stack, team)
    assert (counts["total"], counts["archived"], counts["favorites"]) == (1, 1, 0)
    assert counts["types"] == {"image": 1} and counts["models"] == {MODEL: 1}
    assert counts["tags"] == {}
    assert item(stack, team, archived_id)["archived"] is True  # still readable by id

    assert patch(stack, team, archived_id, {"archived": False}).json()["archived"] is False
    assert set(listed(stack, team)) == {archived_id, kept_id}
    assert listed(stack, team, archived="true") == []
    counts = facets(stack, team)
    assert (counts["total"], counts["archived"], counts["favorites"]) == (2, 0, 1)
    assert counts["tags"] == {"old": 1}


# --- refusals ------------------------------------------------------------------------------
def test_an_unknown_field_is_refused_by_name(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)
    before = item(stack, team, item_id)

    body = assert_error(patch(stack, team, item_id, {"tags": ["a"], "colour": "red"}), 400, "invalid_request")

    assert "colour" in body["error"]
    assert item(stack, team, item_id) == before


def test_patch_of_an_unknown_id_is_404(stack, team) -> None:
    stack.make_items(team, 1)
    assert_error(patch(stack, team, "gal_01jd0000000000000000000000", {"favorite": True}), 404, "not_found")
    assert_error(
        stack.request("POST", f"{GALLERY}/gal_01jd0000000000000000000000/favorite", key=team.key),
        404,
        "not_found",
    )
    assert facets(stack, team)["favorites"] == 0


# --- the favorite toggle and the facets ----------------------------------------------------
def test_favorite_toggles_and_answers_id_and_state(stack, team) -> None:
    (item_id,) = stack.make_items(team, 1)

    first = stack.request("POST", f"{GALLERY}/{item_id}/favorite", key=team.key)
    assert first.status == 200
    assert first.json() == {"id": item_id, "favorite": True}
    assert item(stack, team, item_id)["favorite"] is True
    assert facets(stack, team)["favorites"] == 1

    second = stack.request("POST", f"{GALLERY}/{item_id}/favorite", key=team.key)
    assert second.json() == {"id": item_id, "favorite": False}
    assert item(stack, team, item_id)["favorite"] is False
    assert facets(stack, team)["favorites"] == 0


def test_facets_follow_every_change(stack, team) -> None:
    empty = facets(stack, team)
    assert empty == {
        "total": 0,
        "types": {},
        "favorites": 0,
        "archived": 0,
        "trash": 0,
        "models": {},
        "tags": {},
        "collections": {},
    }
    a, b, c = stack.make_items(team, 3)
    assert facets(stack, team) == {**empty, "total": 3, "types": {"image": 3}, "models": {MODEL: 3}}

    patch(stack, team, a, {"tags": ["red", "blue"]})
    patch(stack, team, b, {"tags": ["Blue"]})
    stack.request("POST", f"{GALLERY}/{c}/favorite", key=team.key)
    patch(stack, team, a, {"favorite": True})
    counts = facets(stack, team)
    assert counts["tags"] == {"blue": 2, "red": 1}
    assert counts["favorites"] == 2

    patch(stack, team, a, {"archived": True})
    counts = facets(stack, team)
    assert (counts["total"], counts["archived"], counts["favorites"]) == (2, 1, 1)
    assert counts["tags"] == {"blue": 1}
    assert counts["types"] == {"image": 2} and counts["models"] == {MODEL: 2}

    # a change that changes nothing counts nothing
    patch(stack, team, b, {"tags": ["blue"], "rating": 0})
    assert facets(stack, team) == counts

    # the counters equal what the filters list
    assert counts["total"] == stack.request("GET", GALLERY, key=team.key).json()["total"]
    assert counts["favorites"] == len(listed(stack, team, favorite="true"))
    assert counts["archived"] == len(listed(stack, team, archived="true"))
    for tag, n in counts["tags"].items():
        assert len(listed(stack, team, tags=tag)) == n
    for model, n in counts["models"].items():
        assert len(listed(stack, team, model=model)) == n


def test_parallel_favorite_toggles_lose_no_update(stack, team) -> None:
    item_id, other_id = stack.make_items(team, 2)
    toggles = 20
    path = f"{GALLERY}/{item_id}/favorite"
    environments = stack.execution_environments(stack.route_for("POST", path)[0], toggles)

    def toggle(environment) -> tuple[int, bytes]:
        response = environment.request("POST", path, key=team.key)
        return response.status, response.body

    with ThreadPoolExecutor(max_workers=toggles) as pool:
        answers = list(pool.map(toggle, environments))

    assert [status for status, _ in answers] == [200] * toggles, answers
    assert item(stack, team, item_id)["favorite"] is (toggles % 2 == 1)
    assert item(stack, team, other_id)["favorite"] is False
    assert facets(stack, team)["favorites"] == len(listed(stack, team, favorite="true")) == (toggles % 2)


# --- tenancy -------------------------------------------------------------------------------
def test_another_team_cannot_read_or_organise_an_item(stack, team, other_team) -> None:
    (item_id,) = stack.make_items(team, 1)
    patch(stack, team, item_id, {"tags": ["mine"], "title": "Mine"})
    before, counts = item(stack, team, item_id), facets(stack, team)

    attempts = [
        ("GET", f"{GALLERY}/{item_id}", None),
        ("PATCH", f"{GALLERY}/{item_id}", {"tags": ["stolen"], "favorite": True, "archived": True}),
        ("PATCH", f"{GALLERY}/{item_id}", {"title": None}),
        ("POST", f"{GALLERY}/{item_id}/favorite", None),
    ]
    for method, path, body in attempts:
        response = stack.request(method, path, key=other_team.key, json_body=body)
        assert_error(response, 404, "not_found")
        assert "Mine" not in response.body.decode()

    assert item(stack, team, item_id) == before
    assert facets(stack, team) == counts
    assert facets(stack, other_team)["total"] == 0
    assert listed(stack, other_team, archived="true") == []


@pytest.mark.parametrize("body", [{"favorite": "yes"}, {"tags": "sunset"}, {"title": 5}, []])
def test_malformed_patch_bodies_are_refused(stack, team, body) -> None:
    (item_id,) = stack.make_items(team, 1)
    assert_error(patch(stack, team, item_id, body), 400, "invalid_request")


def test_archived_with_another_filter_counts_only_the_matches(stack, team) -> None:
    first, second = stack.make_items(team, 2)
    for item_id in (first, second):
        stack.request("PATCH", f"{GALLERY}/{item_id}", key=team.key, json_body={"archived": True})
    stack.request("PATCH", f"{GALLERY}/{first}", key=team.key, json_body={"rating": 4})

    videos = stack.request("GET", GALLERY, key=team.key, query={"archived": "true", "type": "video"}).json()
    rated = stack.request("GET", GALLERY, key=team.key, query={"archived": "true", "minRating": "3"}).json()

    assert (videos["items"], videos["total"]) == ([], 0)
    assert [item["id"] for item in rated["items"]] == [first] and rated["total"] == 1
