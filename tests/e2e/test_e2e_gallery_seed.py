"""The README's gallery curls, verbatim but for host, key and the ids they name, over real HTTP."""

from __future__ import annotations

import json
import subprocess
import zipfile

import pytest

pytestmark = pytest.mark.e2e

SEED_HOST = "https://cloud.milady.ai"


def _curl(base_url: str, key: str, *args: str) -> tuple[int, dict]:
    """Run one seed curl with the seed's host swapped for ours and YOUR_API_KEY for a real key."""
    swapped = [arg.replace(SEED_HOST, base_url).replace("YOUR_API_KEY", key) for arg in args]
    result = subprocess.run(
        ["curl", "-s", *swapped, "-w", "\n%{http_code}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    body, status = result.stdout.rsplit("\n", 1)
    return int(status), json.loads(body) if body else {}


def test_the_seed_gallery_curls_work_with_only_host_key_and_ids_changed(local_stack, make_team) -> None:
    team = make_team()
    made = team.client.post(
        "/api/v1/generate-image",
        json={"prompt": "A sunset over mountains", "model": "local/procedural", "numImages": 3},
    ).json()
    first, second, third = (image["galleryId"] for image in made["images"])
    base, key = local_stack.base_url, team.key

    def curl(*args: str) -> tuple[int, dict]:
        args = tuple(
            a.replace("gal_abc123", first).replace("gal_def456", second).replace("gal_ghi789", third)
            for a in args
        )
        return _curl(base, key, *args)

    status, page = curl(
        "-X",
        "GET",
        f"{SEED_HOST}/api/v1/gallery?type=image&limit=20",
        "-H",
        "Authorization: Bearer YOUR_API_KEY",
    )
    assert status == 200 and page["total"] == 3 and {i["id"] for i in page["items"]} == {first, second, third}
    assert set(page) >= {"items", "total", "page", "pageSize"}

    status, item = curl(
        "-X", "GET", f"{SEED_HOST}/api/v1/gallery/gal_abc123", "-H", "Authorization: Bearer YOUR_API_KEY"
    )
    assert status == 200 and item["id"] == first

    status, patched = curl(
        "-X", "PATCH", f"{SEED_HOST}/api/v1/gallery/gal_abc123",
        "-H", "Authorization: Bearer YOUR_API_KEY", "-H", "Content-Type: application/json",
        "-d", '{\n"tags": ["landscape", "sunset", "mountain"]\n}',
    )  # fmt: skip
    assert status == 200 and patched["tags"] == ["landscape", "sunset", "mountain"]

    status, tagged = curl(
        "-X",
        "GET",
        f"{SEED_HOST}/api/v1/gallery?tags=landscape,sunset",
        "-H",
        "Authorization: Bearer YOUR_API_KEY",
    )
    assert status == 200 and [i["id"] for i in tagged["items"]] == [first] and tagged["total"] == 1

    status, collection = curl(
        "-X", "POST", f"{SEED_HOST}/api/v1/gallery/collections",
        "-H", "Authorization: Bearer YOUR_API_KEY", "-H", "Content-Type: application/json",
        "-d", '{\n"name": "Product Shots",\n"description": "Generated product images"\n}',
    )  # fmt: skip
    assert status == 201 and collection["name"] == "Product Shots" and collection["itemCount"] == 0

    status, added = curl(
        "-X", "POST", f"{SEED_HOST}/api/v1/gallery/collections/{collection['id']}/items",
        "-H", "Authorization: Bearer YOUR_API_KEY", "-H", "Content-Type: application/json",
        "-d", '{\n"itemIds": ["gal_abc123", "gal_def456"]\n}',
    )  # fmt: skip
    assert (
        status == 200
        and sorted(added["added"]) == sorted([first, second])
        and added["collection"]["itemCount"] == 2
    )

    status, collections = curl(
        "-X", "GET", f"{SEED_HOST}/api/v1/gallery/collections", "-H", "Authorization: Bearer YOUR_API_KEY"
    )
    assert status == 200 and [c["id"] for c in collections["collections"]] == [collection["id"]]

    status, bulk_tag = curl(
        "-X", "POST", f"{SEED_HOST}/api/v1/gallery/bulk/tag",
        "-H", "Authorization: Bearer YOUR_API_KEY", "-H", "Content-Type: application/json",
        "-d", '{\n"itemIds": ["gal_abc123", "gal_def456"],\n"tags": ["approved", "final"]\n}',
    )  # fmt: skip
    assert (
        status == 200
        and sorted(bulk_tag["succeeded"]) == sorted([first, second])
        and bulk_tag["failed"] == []
    )

    status, deleted = curl(
        "-X", "DELETE", f"{SEED_HOST}/api/v1/gallery/gal_ghi789", "-H", "Authorization: Bearer YOUR_API_KEY"
    )
    assert status == 200 and deleted["id"] == third and deleted["purgeAt"] > deleted["deletedAt"]

    status, bulk_delete = curl(
        "-X", "POST", f"{SEED_HOST}/api/v1/gallery/bulk/delete",
        "-H", "Authorization: Bearer YOUR_API_KEY", "-H", "Content-Type: application/json",
        "-d", '{\n"itemIds": ["gal_abc123", "gal_def456", "gal_ghi789"]\n}',
    )  # fmt: skip
    assert status == 200 and sorted(bulk_delete["succeeded"]) == sorted([first, second, third])

    facets = team.client.get("/api/v1/gallery/facets").json()
    assert facets["total"] == 0 and facets["trash"] == 3 and facets["collections"] == {collection["id"]: 0}
    assert team.client.get("/api/v1/gallery").json()["items"] == []


def test_the_seed_bulk_download_curl_saves_a_zip(local_stack, make_team, tmp_path) -> None:
    team = make_team()
    made = team.client.post(
        "/api/v1/generate-image",
        json={"prompt": "A sunset over mountains", "model": "local/procedural", "numImages": 2},
    ).json()
    first, second = (image["galleryId"] for image in made["images"])
    target = tmp_path / "gallery.zip"
    args = [
        "-X", "POST", f"{SEED_HOST}/api/v1/gallery/bulk/download",
        "-H", "Authorization: Bearer YOUR_API_KEY",
        "-H", "Content-Type: application/json",
        "-d", '{\n"itemIds": ["gal_abc123", "gal_def456"]\n}',
        "--output", "gallery.zip",
    ]  # fmt: skip
    swapped = [
        a.replace(SEED_HOST, local_stack.base_url)
        .replace("YOUR_API_KEY", team.key)
        .replace("gal_abc123", first)
        .replace("gal_def456", second)
        for a in args
    ]
    result = subprocess.run(
        ["curl", "-s", "-w", "%{http_code}", *swapped],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=tmp_path,
    )

    assert result.stdout == "200"
    archive = zipfile.ZipFile(target)
    assert archive.testzip() is None
    names = archive.namelist()
    assert "manifest.json" in names and len(names) == 3
    assert {first, second} == {name.split(".")[0][-len(first) :] for name in names if name != "manifest.json"}
