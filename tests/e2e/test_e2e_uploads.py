"""Uploads over real HTTP: start an upload, PUT the bytes to the presigned URL, wait for ingest.

The PUT goes to the local moto server the URL names; S3's ObjectCreated event then reaches the
ingest worker through SQS and the local stack's pollers, so these tests wait for the upload's
status to settle instead of running the worker themselves.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import httpx
import pytest
from media_samples import image_bytes, mp4, tkhd, trak

pytestmark = pytest.mark.e2e

SETTLE_SECONDS = 20
POLL_SECONDS = 0.2


def upload(client: httpx.Client, data: bytes, filename: str, content_type: str) -> dict[str, Any]:
    """Start an upload, PUT the bytes with exactly the headers handed out, and wait until it settles
    (pending, then processing while the ingest worker checks it)."""
    started = client.post(
        "/api/v1/gallery/uploads",
        json={"filename": filename, "contentType": content_type, "size": len(data)},
    )
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["method"] == "PUT"

    put = httpx.put(body["uploadUrl"], content=data, headers=body["headers"], timeout=60)
    assert put.status_code == 200, put.text

    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        status = client.get(body["statusUrl"])
        assert status.status_code == 200, status.text
        if status.json()["status"] not in ("pending", "processing") or time.monotonic() > deadline:
            return dict(status.json())
        time.sleep(POLL_SECONDS)


def test_a_real_png_becomes_an_uploaded_item_with_a_webp_thumbnail(make_team) -> None:
    team = make_team()
    png = image_bytes("PNG", (80, 60))

    status = upload(team.client, png, "holiday.png", "image/png")

    assert status["status"] == "ready", status
    item = status["item"]
    assert (item["source"], item["type"], item["width"], item["height"]) == ("uploaded", "image", 80, 60)
    assert item["sha256"] == hashlib.sha256(png).hexdigest()
    listed = team.client.get("/api/v1/gallery").json()
    assert [i["id"] for i in listed["items"]] == [item["id"]]
    download = team.client.get(f"/api/v1/gallery/{item['id']}/download", params={"format": "original"})
    assert download.status_code == 200 and download.content == png
    thumbnail = httpx.get(item["thumbnailUrl"], follow_redirects=True, timeout=60)
    assert thumbnail.status_code == 200
    assert thumbnail.content[:4] == b"RIFF" and thumbnail.content[8:12] == b"WEBP"


def test_a_text_file_declared_as_png_fails_and_makes_no_item(make_team) -> None:
    team = make_team()
    notes = b"just some notes, not a picture\n" * 4

    status = upload(team.client, notes, "notes.png", "image/png")

    assert status["status"] == "failed", status
    assert status["error"]["code"] == "invalid_image"
    assert status["item"] is None
    assert team.client.get(f"/api/v1/gallery/{status['itemId']}").status_code == 404


def test_an_mp4_becomes_a_video_item_without_a_thumbnail(make_team) -> None:
    team = make_team()
    video = mp4(trak(b"vide", tkhd(1280, 720)))

    status = upload(team.client, video, "clip.mp4", "video/mp4")

    assert status["status"] == "ready", status
    item = status["item"]
    assert (item["type"], item["width"], item["height"]) == ("video", 1280, 720)
    assert item["thumbnailUrl"] is None
    assert team.client.get("/api/v1/gallery", params={"type": "video"}).json()["total"] == 1
