"""Over real HTTP against the local stack: what a user does with curl."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from PIL import Image

pytestmark = pytest.mark.e2e

RATIOS = {
    "1:1": 1.0,
    "16:9": 16 / 9,
    "9:16": 9 / 16,
    "4:3": 4 / 3,
    "3:4": 3 / 4,
    "21:9": 21 / 9,
    "9:21": 9 / 21,
}


def test_the_seed_generate_curl_works_with_only_host_and_key_changed(local_stack) -> None:
    """The README's generate-image example, the model set to local/procedural."""
    result = subprocess.run(
        [
            "curl", "-s", "-X", "POST", f"{local_stack.base_url}/api/v1/generate-image",
            "-H", f"Authorization: Bearer {local_stack.api_key}",
            "-H", "Content-Type: application/json",
            "-d", json.dumps({"prompt": "A serene mountain landscape at sunset", "model": "local/procedural",
                              "aspectRatio": "1:1", "numImages": 1}),
            "-w", "\n%{http_code}",
        ],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    body, status = result.stdout.rsplit("\n", 1)
    assert status == "200"
    image = json.loads(body)["images"][0]
    downloaded = httpx.get(image["url"], follow_redirects=True, timeout=30)
    assert downloaded.status_code == 200
    assert Image.open(io.BytesIO(downloaded.content)).size == (1024, 1024)


@pytest.mark.parametrize("ratio", ["16:9", "9:21"])
def test_generate_list_get_download(client: httpx.Client, ratio: str) -> None:
    generated = client.post(
        "/api/v1/generate-image",
        json={
            "prompt": f"e2e harbour {ratio}",
            "model": "local/procedural",
            "aspectRatio": ratio,
            "numImages": 2,
        },
    )
    assert generated.status_code == 200, generated.text
    body = generated.json()
    assert body["numImages"] == 2 and body["creditsCharged"] == 10
    ids = [image["galleryId"] for image in body["images"]]

    listed = client.get("/api/v1/gallery", params={"limit": 100}).json()
    assert set(ids) <= {item["id"] for item in listed["items"]}

    item = client.get(f"/api/v1/gallery/{ids[0]}").json()
    assert item["aspectRatio"] == ratio and item["prompt"] == f"e2e harbour {ratio}"

    download = client.get(f"/api/v1/gallery/{ids[0]}/download")
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/png"
    png = Image.open(io.BytesIO(download.content))
    assert png.format == "PNG"
    assert png.width / png.height == pytest.approx(RATIOS[ratio], rel=0.03)

    thumbnail = httpx.get(item["thumbnailUrl"], follow_redirects=True, timeout=30)
    assert Image.open(io.BytesIO(thumbnail.content)).format == "WEBP"


def test_async_generation_finishes_through_the_queue(client: httpx.Client) -> None:
    accepted = client.post("/api/v1/generate-image", json={"prompt": "queued fox", "async": True})
    assert accepted.status_code == 202
    status_url = accepted.json()["statusUrl"]
    job = client.get(status_url).json()
    for _ in range(100):
        if job["status"] in ("succeeded", "failed"):
            break
        job = client.get(status_url).json()
    assert job["status"] == "succeeded"
    assert job["result"]["images"][0]["galleryId"]


def test_a_wrong_key_answers_401(local_stack) -> None:
    response = httpx.get(f"{local_stack.base_url}/api/v1/gallery", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_account_shows_credits_and_storage(client: httpx.Client) -> None:
    account = client.get("/api/v1/account").json()
    assert account["plan"] == "pro"
    assert account["credits"] > 0
    assert account["storage"]["limitFormatted"] == "50 GB"


def test_the_admin_cli_creates_a_team_whose_key_works(local_stack, admin) -> None:
    created = admin("create-team", "--name", "acme", "--plan", "free", "--credits", "20")
    headers = {"Authorization": f"Bearer {created['apiKey']}"}
    account = httpx.get(f"{local_stack.base_url}/api/v1/account", headers=headers).json()
    assert account == account | {"teamId": created["teamId"], "plan": "free", "credits": 20}

    admin("revoke-key", "--team", created["teamId"], "--key-id", created["keyId"])

    assert httpx.get(f"{local_stack.base_url}/api/v1/account", headers=headers).status_code == 401


def test_a_second_stack_on_the_same_port_says_the_port_is_busy(local_stack) -> None:
    from urllib.parse import urlparse

    port = str(urlparse(local_stack.base_url).port)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "galleria-local"), "--port", port, "--state-file", "/dev/null"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "busy" in (result.stdout + result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
