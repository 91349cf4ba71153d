"""Listing: newest first, page numbers and cursors, totals and storage usage."""

from __future__ import annotations


def _generate(stack, team, prompt: str, n: int = 1) -> list[str]:
    job_id = stack.request(
        "POST",
        "/api/v1/generate-image",
        key=team.key,
        json_body={"prompt": prompt, "numImages": n, "async": True},
    ).json()["jobId"]
    stack.run_workers()
    job = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()
    return [image["galleryId"] for image in job["result"]["images"]]


def test_listing_is_newest_first_with_pages_and_cursors(stack, team) -> None:
    made = [_generate(stack, team, f"picture {i}")[0] for i in range(5)]
    newest_first = list(reversed(made))

    first = stack.request("GET", "/api/v1/gallery", key=team.key, query={"limit": "2"}).json()
    assert [i["id"] for i in first["items"]] == newest_first[:2]
    assert first["total"] == 5 and first["page"] == 1 and first["pageSize"] == 2

    second = stack.request("GET", "/api/v1/gallery", key=team.key, query={"limit": "2", "page": "2"}).json()
    assert [i["id"] for i in second["items"]] == newest_first[2:4]

    walked, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = stack.request("GET", "/api/v1/gallery", key=team.key, query=query).json()
        walked += [i["id"] for i in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert walked == newest_first  # every item exactly once, no empty last page

    beyond = stack.request("GET", "/api/v1/gallery", key=team.key, query={"limit": "2", "page": "4"}).json()
    assert beyond["items"] == [] and beyond["nextCursor"] is None


def test_a_cursor_cannot_reach_into_another_team(stack, team, other_team) -> None:
    _generate(stack, team, "mine", n=3)
    _generate(stack, other_team, "theirs", n=3)
    cursor = stack.request("GET", "/api/v1/gallery", key=team.key, query={"limit": "1"}).json()["nextCursor"]

    page = stack.request("GET", "/api/v1/gallery", key=other_team.key, query={"cursor": cursor}).json()

    assert {i["prompt"] for i in page["items"]} <= {"theirs"}


def test_storage_usage_counts_originals_and_thumbnails(stack, team) -> None:
    _generate(stack, team, "counted", n=2)

    account = stack.request("GET", "/api/v1/account", key=team.key).json()
    items = stack.request("GET", "/api/v1/gallery", key=team.key).json()["items"]

    assert account["storage"]["itemCount"] == 2
    assert account["storage"]["used"] > sum(i["fileSize"] for i in items)  # thumbnails count too
