"""GET /api/v1/public/gallery: the public feed across teams, without auth, with no private fields."""

from __future__ import annotations

from galleria.domain.teams import Plan

FEED = "/api/v1/public/gallery"
GALLERY = "/api/v1/gallery"


def feed_ids(stack, **query) -> list[str]:
    response = stack.request("GET", FEED, query={k: str(v) for k, v in query.items()})
    assert response.status == 200, response.body
    return [item["id"] for item in response.json()["items"]]


def gallery_order(stack, team) -> list[str]:
    """The team's own listing order (newest first; items made together sort by id)."""
    listing = stack.request("GET", GALLERY, key=team.key, query={"limit": "100"}).json()
    return [item["id"] for item in listing["items"]]


def test_free_plans_are_public_by_default_and_paid_plans_private(stack, make_team) -> None:
    free, pro = make_team(Plan.FREE), make_team(Plan.PRO)
    free_items = stack.make_items(free, 2, prompt="A free lighthouse")
    pro_items = stack.make_items(pro, 2, prompt="A pro lighthouse")

    shown = feed_ids(stack)

    assert shown == gallery_order(stack, free) and set(shown) == set(free_items)
    assert not set(pro_items) & set(shown)


def test_paid_plans_choose_per_item(stack, make_team) -> None:
    pro = make_team(Plan.PRO)
    first, second = stack.make_items(pro, 2)

    stack.request("PATCH", f"{GALLERY}/{first}", key=pro.key, json_body={"visibility": "public"})
    assert feed_ids(stack) == [first]
    stack.request("PATCH", f"{GALLERY}/{first}", key=pro.key, json_body={"visibility": "private"})
    assert feed_ids(stack) == []
    assert second not in feed_ids(stack)


def test_archived_and_trashed_items_leave_the_feed(stack, make_team) -> None:
    free = make_team(Plan.FREE)
    archived, trashed, kept = stack.make_items(free, 3)

    stack.request("PATCH", f"{GALLERY}/{archived}", key=free.key, json_body={"archived": True})
    stack.request("DELETE", f"{GALLERY}/{trashed}", key=free.key)
    assert feed_ids(stack) == [kept]
    stack.request("POST", f"{GALLERY}/{trashed}/restore", key=free.key)
    assert feed_ids(stack) == [i for i in gallery_order(stack, free) if i in (trashed, kept)]


def test_no_private_fields_and_tags_only_where_the_team_allows(stack, make_team) -> None:
    free = make_team(Plan.FREE)
    [item_id] = stack.make_items(free, 1, prompt="A tagged lighthouse")
    collection = stack.request(
        "POST", f"{GALLERY}/collections", key=free.key, json_body={"name": "Coast"}
    ).json()["id"]
    stack.request(
        "POST", f"{GALLERY}/collections/{collection}/items", key=free.key, json_body={"itemIds": [item_id]}
    )
    stack.request(
        "PATCH", f"{GALLERY}/{item_id}", key=free.key, json_body={"tags": ["coast"], "favorite": True}
    )

    response = stack.request("GET", FEED)
    [shown] = response.json()["items"]

    assert shown["prompt"] == "A tagged lighthouse" and shown["tags"] == []
    for private in ("teamId", "collections", "favorite", "rating", "visibility", "sha256", "generation"):
        assert private not in shown
    assert free.team_id not in response.body.decode()  # not even in the image links
    assert collection not in response.body.decode()
    # The image links work without a key while the item is public, and stop when it is not.
    assert shown["url"] == f"https://testserver/public/{item_id}/original"
    assert shown["thumbnailUrl"] == f"https://testserver/public/{item_id}/thumb-512"
    for link in (shown["url"], shown["thumbnailUrl"]):
        media = stack.request("GET", link.removeprefix("https://testserver"))
        assert media.status == 302 and "X-Amz-Expires=900" in media.headers["location"]
    assert stack.request("GET", f"/public/{item_id}/source").status == 404
    assert stack.request("GET", f"/public/{item_id}/nothing").status == 404

    allowed = stack.request("PATCH", "/api/v1/account", key=free.key, json_body={"publicTags": True})
    assert allowed.status == 200 and allowed.json()["publicTags"] is True
    assert stack.request("GET", FEED).json()["items"][0]["tags"] == ["coast"]


def test_the_account_setting_is_the_callers_own(stack, make_team) -> None:
    first, second = make_team(Plan.FREE), make_team(Plan.FREE)
    [first_item] = stack.make_items(first, 1)
    [second_item] = stack.make_items(second, 1)
    for team, item in ((first, first_item), (second, second_item)):
        stack.request("PATCH", f"{GALLERY}/{item}", key=team.key, json_body={"tags": ["mine"]})

    stack.request("PATCH", "/api/v1/account", key=second.key, json_body={"publicTags": True})
    tags = {item["id"]: item["tags"] for item in stack.request("GET", FEED).json()["items"]}

    assert tags == {first_item: [], second_item: ["mine"]}
    assert stack.request("GET", "/api/v1/account", key=first.key).json()["publicTags"] is False


def test_the_account_setting_needs_a_key_and_a_boolean(stack, team) -> None:
    assert stack.request("PATCH", "/api/v1/account", json_body={"publicTags": True}).status == 401
    wrong = stack.request("PATCH", "/api/v1/account", key=team.key, json_body={"publicTags": "yes"})
    unknown = stack.request("PATCH", "/api/v1/account", key=team.key, json_body={"plan": "enterprise"})
    assert wrong.status == 400 and unknown.status == 400
    assert stack.request("GET", "/api/v1/account", key=team.key).json()["plan"] == "pro"


def test_paging_by_cursor_and_by_page_number(stack, make_team) -> None:
    free = make_team(Plan.FREE)
    stack.make_items(free, 7)
    made = gallery_order(stack, free)

    first = stack.request("GET", FEED, query={"limit": "3"}).json()
    second = stack.request("GET", FEED, query={"limit": "3", "cursor": first["nextCursor"]}).json()
    third = stack.request("GET", FEED, query={"limit": "3", "cursor": second["nextCursor"]}).json()

    walked = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert walked == made and third["nextCursor"] is None
    assert feed_ids(stack, limit=3, page=2) == made[3:6]
    assert feed_ids(stack, limit=3, page=4) == []
    for bad in ({"limit": "0"}, {"limit": "101"}, {"page": "-1"}, {"cursor": "not-a-cursor"}):
        response = stack.request("GET", FEED, query=bad)
        assert response.status == 400, bad
        assert response.json()["code"] == "invalid_request"


def test_feed_links_stop_when_an_item_leaves_the_feed(stack, make_team) -> None:
    pro = make_team(Plan.PRO)
    public, private = stack.make_items(pro, 2)
    stack.request("PATCH", f"{GALLERY}/{public}", key=pro.key, json_body={"visibility": "public"})
    assert stack.request("GET", f"/public/{public}/original").status == 302
    assert stack.request("GET", f"/public/{private}/original").status == 404  # never public

    stack.request("PATCH", f"{GALLERY}/{public}", key=pro.key, json_body={"visibility": "private"})
    assert stack.request("GET", f"/public/{public}/original").status == 404
    stack.request("PATCH", f"{GALLERY}/{public}", key=pro.key, json_body={"visibility": "public"})
    stack.request("DELETE", f"{GALLERY}/{public}", key=pro.key)
    assert stack.request("GET", f"/public/{public}/thumb-512").status == 404
