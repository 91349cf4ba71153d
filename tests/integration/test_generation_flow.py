"""Generate → worker → job → gallery → download, through the handlers, against moto."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from galleria.accounts.repository import AccountsRepository
from galleria.providers.base import ProviderError

GENERATE = "/api/v1/generate-image"


def _generate(stack, key: str, **body):
    return stack.request("POST", GENERATE, key=key, json_body={"prompt": "A lighthouse at dawn", **body})


def _credits(team) -> int:
    return AccountsRepository().get_team(team.team_id).credits


def test_async_generation_queues_a_job_that_the_worker_completes(stack, team) -> None:
    # Given an async request for two images
    accepted = _generate(
        stack, team.key, model="local/procedural", numImages=2, aspectRatio="16:9", **{"async": True}
    )
    assert accepted.status == 202
    job_id = accepted.json()["jobId"]
    assert accepted.json()["statusUrl"] == f"/api/v1/jobs/{job_id}"
    assert stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()["status"] == "queued"

    # When the worker runs
    assert stack.run_workers() == 1

    # Then the job holds two 16:9 images in the gallery, charged once
    job = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()
    assert job["status"] == "succeeded"
    result = job["result"]
    assert result["numImages"] == 2 and result["creditsCharged"] == 10
    assert {(i["width"], i["height"]) for i in result["images"]} == {(1344, 768)}
    assert all(i["url"].startswith("https://testserver/media/") for i in result["images"])
    assert _credits(team) == 1000 - 10

    listing = stack.request("GET", "/api/v1/gallery", key=team.key).json()
    assert listing["total"] == 2
    assert {i["id"] for i in listing["items"]} == {i["galleryId"] for i in result["images"]}


def test_the_item_records_how_it_was_made(stack, team) -> None:
    job_id = _generate(
        stack, team.key, seed=42, stylePreset="comic-book", galleryTags=["Sea", "sea"], **{"async": True}
    ).json()["jobId"]
    stack.run_workers()
    gallery_id = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()["result"]["images"][0][
        "galleryId"
    ]

    item = stack.request("GET", f"/api/v1/gallery/{gallery_id}", key=team.key).json()

    assert item["prompt"] == "A lighthouse at dawn"
    assert item["model"] == "local/procedural"
    assert item["stylePreset"] == "comic-book"
    assert item["tags"] == ["sea"]
    assert item["seed"] == 42
    assert item["visibility"] == "private"  # a pro team
    assert len(item["sha256"]) == 64
    assert item["generation"]["seedUsed"] == 42
    assert item["generation"]["reproducible"] is True
    assert item["generation"]["request"]["stylePreset"] == "comic-book"
    assert item["variants"] == [] and item["parent"] is None


def test_download_gives_a_png_that_opens(stack, team) -> None:
    job_id = _generate(stack, team.key, aspectRatio="3:4", **{"async": True}).json()["jobId"]
    stack.run_workers()
    gallery_id = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()["result"]["images"][0][
        "galleryId"
    ]

    download = stack.request("GET", f"/api/v1/gallery/{gallery_id}/download", key=team.key)

    assert download.status == 200
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment;")
    image = Image.open(io.BytesIO(download.body))
    assert image.format == "PNG" and image.size == (864, 1184)


@pytest.mark.parametrize(("fmt", "pil_format"), [("jpeg", "JPEG"), ("webp", "WEBP"), ("original", "PNG")])
def test_download_in_other_formats(stack, team, fmt: str, pil_format: str) -> None:
    job_id = _generate(stack, team.key, **{"async": True}).json()["jobId"]
    stack.run_workers()
    gallery_id = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()["result"]["images"][0][
        "galleryId"
    ]

    download = stack.request(
        "GET", f"/api/v1/gallery/{gallery_id}/download", key=team.key, query={"format": fmt}
    )

    assert Image.open(io.BytesIO(download.body)).format == pil_format


def test_media_links_redirect_to_the_stored_object(stack, team) -> None:
    job_id = _generate(stack, team.key, **{"async": True}).json()["jobId"]
    stack.run_workers()
    image = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()["result"]["images"][0]
    path = image["url"].removeprefix("https://testserver")

    redirect = stack.request("GET", path)

    assert redirect.status == 302
    assert "/teams/" in redirect.headers["location"] and "original.png" in redirect.headers["location"]
    thumb = stack.request("GET", image["thumbnailUrl"].removeprefix("https://testserver"))
    assert thumb.status == 302 and "thumb-512.webp" in thumb.headers["location"]


def test_a_tampered_media_link_is_not_found(stack, team) -> None:
    job_id = _generate(stack, team.key, **{"async": True}).json()["jobId"]
    stack.run_workers()
    url = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()["result"]["images"][0]["url"]
    path = url.removeprefix("https://testserver")

    assert stack.request("GET", path.replace("/original/", "/thumb-256/")).status == 404
    assert stack.request("GET", path[:-1] + ("A" if path[-1] != "A" else "B")).status == 404


def test_short_balance_answers_402_and_changes_nothing(stack, make_team) -> None:
    poor = make_team(credits=7)

    response = _generate(stack, poor.key, numImages=2)

    assert response.status == 402
    assert response.json() == {
        "error": response.json()["error"],
        "code": "insufficient_credits",
        "required": 10,
        "balance": 7,
    }
    assert _credits(poor) == 7
    assert stack.run_workers() == 0


def test_dry_run_quotes_without_charging(stack, team) -> None:
    response = _generate(stack, team.key, numImages=3, dryRun=True)

    assert response.status == 200
    assert response.json() == {
        "creditsRequired": 15,
        "balance": 1000,
        "model": "local/procedural",
        "numImages": 3,
    }
    assert _credits(team) == 1000
    assert stack.run_workers() == 0


def test_failed_images_are_refunded(stack, team, monkeypatch) -> None:
    from galleria.generation import worker as worker_module
    from galleria.providers.local_procedural import LocalProceduralProvider

    calls = {"n": 0}

    class FlakyProvider(LocalProceduralProvider):
        def generate(self, request):
            calls["n"] += 1
            if request.seed % 2:  # every other image fails
                raise ProviderError("the provider refused")
            return super().generate(request)

    monkeypatch.setattr(worker_module, "provider_for", lambda model: FlakyProvider())
    job_id = _generate(stack, team.key, numImages=4, seed=10, **{"async": True}).json()["jobId"]
    stack.run_workers()

    job = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()
    assert job["status"] == "succeeded"
    assert job["result"]["numImages"] == 2 and job["result"]["creditsCharged"] == 10
    assert _credits(team) == 1000 - 10


def test_a_job_whose_every_image_fails_is_failed_and_fully_refunded(stack, team, monkeypatch) -> None:
    from galleria.generation import worker as worker_module

    class BrokenProvider:
        def generate(self, request):
            raise ProviderError("the provider is down")

    monkeypatch.setattr(worker_module, "provider_for", lambda model: BrokenProvider())
    job_id = _generate(stack, team.key, numImages=2, **{"async": True}).json()["jobId"]
    stack.run_workers()

    job = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "generation_failed"
    assert _credits(team) == 1000


def test_a_redelivered_message_makes_no_second_item_and_no_second_charge(stack, team) -> None:
    job_id = _generate(stack, team.key, numImages=2, **{"async": True}).json()["jobId"]
    stack.run_workers()

    # When the same message arrives again (SQS delivers at least once)
    result = stack.deliver(job_id)

    assert result == {"batchItemFailures": []}
    assert stack.request("GET", "/api/v1/gallery", key=team.key).json()["total"] == 2
    assert _credits(team) == 1000 - 10


def test_save_to_gallery_false_returns_images_without_items(stack, team) -> None:
    job_id = _generate(stack, team.key, saveToGallery=False, **{"async": True}).json()["jobId"]
    stack.run_workers()

    image = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()["result"]["images"][0]
    assert image["galleryId"] is None
    assert "/tmp/" in image["url"] and "X-Amz-Signature" in image["url"]
    assert stack.request("GET", "/api/v1/gallery", key=team.key).json()["total"] == 0


def test_a_job_that_keeps_crashing_fails_and_refunds_on_its_last_delivery(stack, team, monkeypatch) -> None:
    from galleria.generation import worker as worker_module

    class CrashingProvider:
        def generate(self, request):
            raise RuntimeError("bug")

    monkeypatch.setattr(worker_module, "provider_for", lambda model: CrashingProvider())
    job_id = _generate(stack, team.key, **{"async": True}).json()["jobId"]

    first = stack.deliver(job_id, receive_count=1)
    assert len(first["batchItemFailures"]) == 1  # retried by SQS
    assert stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()["status"] == "running"
    assert _credits(team) == 1000 - 5

    last = stack.deliver(job_id, receive_count=5)  # the queue's maxReceiveCount

    assert len(last["batchItemFailures"]) == 1  # on to the DLQ
    job = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()
    assert job["status"] == "failed"
    assert _credits(team) == 1000


def _made_item(stack, team, **body) -> dict:
    job_id = _generate(stack, team.key, seed=7, **body, **{"async": True}).json()["jobId"]
    stack.run_workers()
    job = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()
    return stack.request(
        "GET", f"/api/v1/gallery/{job['result']['images'][0]['galleryId']}", key=team.key
    ).json()


def _red_png_data_url() -> str:
    import base64

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (220, 20, 20)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_the_same_prompt_and_seed_make_the_same_picture(stack, team) -> None:
    assert _made_item(stack, team)["sha256"] == _made_item(stack, team)["sha256"]


def test_a_source_image_changes_the_picture(stack, team) -> None:
    plain = _made_item(stack, team)
    derived = _made_item(stack, team, sourceImage=_red_png_data_url())

    assert derived["sha256"] != plain["sha256"]
    assert derived["generation"]["request"]["sourceImage"] is True


def test_a_source_gallery_item_changes_the_picture(stack, team) -> None:
    source = _made_item(stack, team, prompt="neon city at night")
    plain = _made_item(stack, team)

    derived = _made_item(stack, team, sourceItemId=source["id"])

    assert derived["sha256"] != plain["sha256"]
    assert derived["generation"]["request"]["sourceItemId"] == source["id"]


def test_gallery_tags_and_collection_are_kept_on_the_item(stack, team) -> None:
    collection = stack.request(
        "POST", "/api/v1/gallery/collections", key=team.key, json_body={"name": "Launch"}
    ).json()
    item = _made_item(stack, team, galleryTags=[" Hero ", "launch"], collectionId=collection["id"])

    assert item["tags"] == ["hero", "launch"]
    assert item["collections"] == [collection["id"]]
    listed = stack.request("GET", "/api/v1/gallery", key=team.key, query={"collection": collection["id"]})
    assert [entry["id"] for entry in listed.json()["items"]] == [item["id"]]
    assert (
        stack.request("GET", f"/api/v1/gallery/collections/{collection['id']}", key=team.key).json()[
            "itemCount"
        ]
        == 1
    )


def test_an_unknown_collection_is_refused_before_anything_is_charged(stack, team, other_team) -> None:
    theirs = stack.request(
        "POST", "/api/v1/gallery/collections", key=other_team.key, json_body={"name": "Theirs"}
    ).json()["id"]
    response = stack.request(
        "POST", "/api/v1/generate-image", key=team.key, json_body={"prompt": "x", "collectionId": theirs}
    )
    assert response.status == 404 and response.json()["code"] == "not_found"
    assert stack.request("GET", "/api/v1/account", key=team.key).json()["credits"] == 1000
