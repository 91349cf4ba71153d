"""Edits (POST /gallery/{id}/edit) through each cloud model — API, queue, worker, provider client, S3,
variant item, session — against recorded-shape provider responses (respx), set up as in
test_cloud_models.py: the `cloud_keys` fixture and the payloads of tests/support/cloud_recordings.py.

What matters for an edit is what the provider is sent: the parent's original as the provider's image
input, a PNG of the parent's exact pixels, with the edit prompt."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast
from urllib.parse import unquote, urlsplit

import boto3
import httpx
import pytest
import respx
from cloud_recordings import (
    BFL_KONTEXT_MAX_URL,
    BFL_POLLING_URL,
    BFL_SAMPLE_URL,
    GEMINI_URL,
    OPENAI_URL,
    PNG,
    bfl_pending,
    bfl_ready,
    bfl_request_moderated,
    bfl_submitted,
    gemini_image_safety,
    gemini_success,
    openai_moderation_blocked,
    openai_success,
)
from PIL import Image, ImageChops

from galleria.accounts.repository import AccountsRepository
from galleria.config import get_settings

GALLERY = "/api/v1/gallery"
PROMPT = "Make the teapot cobalt blue"
TAGS = ["kitchen", "still-life"]
EDIT_SOURCE_LIMIT = 4 * 1024 * 1024
EDIT_PRICE = 10  # credits per edited image
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- how each provider is mocked and what it was sent ------------------------------------------
def _sent(route: respx.Route) -> dict:
    return json.loads(route.calls.last.request.content)


def _gemini_answers(status: int, body: dict) -> respx.Route:
    return respx.post(GEMINI_URL).mock(return_value=httpx.Response(status, json=body))


def _gemini_input(route: respx.Route) -> tuple[str, bytes]:
    """(prompt, image) of the generateContent call: a text part, then the image as inline data."""
    assert route.calls.last.request.headers["x-goog-api-key"] == "g-test-key"
    [text, image] = _sent(route)["contents"][0]["parts"]
    assert set(image) == {"inlineData"}
    assert image["inlineData"]["mimeType"] == "image/png"
    return text["text"], base64.b64decode(image["inlineData"]["data"], validate=True)


def _openai_answers(status: int, body: dict) -> respx.Route:
    return respx.post(OPENAI_URL).mock(
        return_value=httpx.Response(status, headers={"x-request-id": "req_123"}, json=body)
    )


def _openai_input(route: respx.Route) -> tuple[str, bytes]:
    """(prompt, image) of the Responses call: one user message of input_text and input_image."""
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-test"
    sent = _sent(route)
    assert sent["model"] == "gpt-5-nano"
    assert sent["tools"][0]["type"] == "image_generation"
    assert sent["tool_choice"] == {"type": "image_generation"}
    [message] = sent["input"]
    assert message["role"] == "user"
    [text, image] = message["content"]
    assert text["type"] == "input_text" and image["type"] == "input_image"
    header, _, data = image["image_url"].partition(",")
    assert header == "data:image/png;base64"
    return text["text"], base64.b64decode(data, validate=True)


def _bfl_answers(*polls: dict) -> respx.Route:
    submit = respx.post(BFL_KONTEXT_MAX_URL).mock(return_value=httpx.Response(200, json=bfl_submitted()))
    respx.get(BFL_POLLING_URL).mock(side_effect=[httpx.Response(200, json=poll) for poll in polls])
    respx.get(BFL_SAMPLE_URL).mock(
        return_value=httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
    )
    return submit


def _bfl_input(route: respx.Route) -> tuple[str, bytes]:
    """(prompt, image) of the Kontext submission: input_image is plain base64 (no data URL)."""
    assert route.calls.last.request.headers["x-key"] == "bfl-test"
    sent = _sent(route)
    return sent["prompt"], base64.b64decode(sent["input_image"], validate=True)


@dataclass(frozen=True)
class Cloud:
    model: str
    provider: str  # generation.provider
    model_version: str
    request_id: str
    succeed: Callable[[], respx.Route]
    block: Callable[[], respx.Route]  # the provider's safety system refuses
    sent: Callable[[respx.Route], tuple[str, bytes]]


CLOUDS = [
    Cloud(
        "google/gemini-2.5-flash-image",
        "google",
        "gemini-2.5-flash-image",
        "deO6aLeTE4fYvdIPuIm_kQQ",
        succeed=lambda: _gemini_answers(200, gemini_success()),
        block=lambda: _gemini_answers(200, gemini_image_safety()),
        sent=_gemini_input,
    ),
    Cloud(
        "openai/gpt-5-nano",
        "openai",
        "gpt-5-nano-2025-08-07",
        "resp_68abc",
        succeed=lambda: _openai_answers(200, openai_success()),
        block=lambda: _openai_answers(400, openai_moderation_blocked()),
        sent=_openai_input,
    ),
    Cloud(
        "bfl/flux-kontext-max",
        "bfl",
        "flux-kontext-max",
        "b9b172a8",
        succeed=lambda: _bfl_answers(bfl_pending(), bfl_ready()),
        block=lambda: _bfl_answers(bfl_request_moderated("b9b172a8")),
        sent=_bfl_input,
    ),
]
BY_MODEL = pytest.mark.parametrize("cloud", CLOUDS, ids=[cloud.provider for cloud in CLOUDS])


# --- the API side ---------------------------------------------------------------------------------
def credits(team) -> int:
    return AccountsRepository().get_team(team.team_id).credits


def item(stack, team, item_id: str) -> dict:
    response = stack.request("GET", f"{GALLERY}/{item_id}", key=team.key)
    assert response.status == 200, response.body
    return response.json()


def stored_original(stack, team, item_id: str) -> bytes:
    response = stack.request(
        "GET", f"{GALLERY}/{item_id}/download", key=team.key, query={"format": "original"}
    )
    assert response.status == 200
    return response.body


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def edit(stack, team, parent: str, model: str) -> dict:
    accepted = stack.request(
        "POST", f"{GALLERY}/{parent}/edit", key=team.key, json_body={"prompt": PROMPT, "model": model}
    )
    assert accepted.status == 202, accepted.body
    body = accepted.json()
    assert body["statusUrl"].endswith(f"/api/v1/jobs/{body['jobId']}")
    stack.run_workers()
    job = stack.request("GET", f"/api/v1/jobs/{body['jobId']}", key=team.key).json()
    session = stack.request("GET", f"/api/v1/sessions/{body['editSessionId']}", key=team.key)
    assert session.status == 200
    return {"job": job, "session": session.json()}


@pytest.fixture
def parent(stack, team) -> str:
    [made] = stack.make_items(team, 1, prompt="A teapot on a table")
    tagged = stack.request("PATCH", f"{GALLERY}/{made}", key=team.key, json_body={"tags": TAGS})
    assert tagged.status == 200, tagged.body
    return made


# --- edits ----------------------------------------------------------------------------------------
@BY_MODEL
@respx.mock
def test_an_edit_sends_the_parents_pixels_as_a_png_and_makes_a_variant(
    stack, team, cloud_keys, parent, cloud: Cloud
) -> None:
    route = cloud.succeed()
    before = credits(team)

    outcome = edit(stack, team, parent, cloud.model)

    job = outcome["job"]
    assert job["type"] == "edit" and job["status"] == "succeeded", job
    assert job["result"]["creditsCharged"] == EDIT_PRICE and credits(team) == before - EDIT_PRICE
    # The provider was asked once, with the parent's original as its image input.
    assert route.call_count == 1
    prompt, source = cloud.sent(route)
    assert prompt == PROMPT  # an edit has no style preset: the prompt goes as written
    assert source.startswith(PNG_MAGIC) and len(source) <= EDIT_SOURCE_LIMIT
    sent, original = decoded(source), decoded(stored_original(stack, team, parent))
    assert sent.format == "PNG"
    assert sent.size == original.size
    assert sent.convert("RGBA").tobytes() == original.convert("RGBA").tobytes()
    # The provider's image became a variant of the parent.
    variant = item(stack, team, job["result"]["images"][0]["galleryId"])
    assert (variant["source"], variant["parentId"], variant["parent"]["id"]) == ("edited", parent, parent)
    assert variant["tags"] == TAGS
    assert (variant["prompt"], variant["model"]) == (PROMPT, cloud.model)
    generation = variant["generation"]
    assert generation["provider"] == cloud.provider
    assert generation["modelVersion"] == cloud.model_version
    assert generation["providerRequestId"] == cloud.request_id
    assert generation["request"]["model"] == cloud.model
    assert generation["request"]["sourceItemId"] == parent and generation["request"]["parentId"] == parent
    assert stored_original(stack, team, variant["id"]) == PNG  # as the provider sent it
    assert [v["id"] for v in item(stack, team, parent)["variants"]] == [variant["id"]]
    assert [(t["turn"], t["prompt"], t["status"], t["variantId"]) for t in outcome["session"]["turns"]] == [
        (1, PROMPT, "succeeded", variant["id"])
    ]


@BY_MODEL
@respx.mock
def test_a_safety_block_fails_the_edit_as_content_policy_and_refunds_it(
    stack, team, cloud_keys, parent, cloud: Cloud
) -> None:
    route = cloud.block()
    before = credits(team)

    outcome = edit(stack, team, parent, cloud.model)

    job = outcome["job"]
    assert route.call_count == 1
    assert cloud.sent(route)[0] == PROMPT
    assert job["status"] == "failed" and job["error"]["code"] == "content_policy", job
    assert credits(team) == before  # the 10 credits reserved came back
    assert item(stack, team, parent)["variants"] == []
    assert [(t["status"], t["variantId"]) for t in outcome["session"]["turns"]] == [("failed", None)]


# --- a large JPEG parent ------------------------------------------------------------------------
def _large_jpeg() -> bytes:
    """2,400 × 1,600: red left, blue right, under grey noise. ~2.7 MB as JPEG, ~8 MB as PNG."""
    picture = Image.new("RGB", (2400, 1600), (200, 40, 40))
    picture.paste((40, 60, 200), (1200, 0, 2400, 1600))
    noise = Image.effect_noise((2400, 1600), 60).convert("RGB")
    buffer = io.BytesIO()
    ImageChops.add(picture, noise, 1, -128).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _upload(stack, team, data: bytes, filename: str, content_type: str) -> dict:
    """The upload flow: presigned PUT (done with boto3 at the URL's key), then the ingest worker."""
    body = {"filename": filename, "contentType": content_type, "size": len(data)}
    started = stack.request("POST", f"{GALLERY}/uploads", key=team.key, json_body=body)
    assert started.status == 201, started.body
    upload = started.json()
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=get_settings().media_bucket,
        Key=unquote(urlsplit(upload["uploadUrl"]).path.split("/", 2)[2]),
        Body=data,
        ContentType=upload["headers"]["Content-Type"],
    )
    stack.run_ingest()
    status = stack.request("GET", upload["statusUrl"], key=team.key).json()
    assert status["status"] == "ready", status
    return status["item"]


@respx.mock
def test_a_jpeg_parent_too_large_as_png_is_sent_to_openai_scaled_down(stack, team, cloud_keys) -> None:
    jpeg = _large_jpeg()
    as_png = io.BytesIO()
    decoded(jpeg).save(as_png, "PNG")
    assert as_png.tell() > EDIT_SOURCE_LIMIT  # as it is, it would not fit
    parent = _upload(stack, team, jpeg, "kitchen.jpg", "image/jpeg")
    assert (parent["mimeType"], parent["width"], parent["height"]) == ("image/jpeg", 2400, 1600)
    assert stored_original(stack, team, parent["id"]) == jpeg
    route = _openai_answers(200, openai_success())
    before = credits(team)

    outcome = edit(stack, team, parent["id"], "openai/gpt-5-nano")

    assert outcome["job"]["status"] == "succeeded", outcome["job"]
    assert credits(team) == before - EDIT_PRICE
    prompt, source = _openai_input(route)
    assert prompt == PROMPT
    assert source.startswith(PNG_MAGIC) and len(source) <= EDIT_SOURCE_LIMIT
    sent = decoded(source)
    assert sent.format == "PNG" and sent.width < 2400
    assert abs(sent.width / sent.height - 2400 / 1600) < 0.01  # scaled, not cropped or squashed
    # The same picture: at a common small size the two differ only by resampling and noise.
    small = (48, 32)
    theirs = sent.convert("RGB").resize(small, Image.Resampling.BOX)
    ours = decoded(jpeg).convert("RGB").resize(small, Image.Resampling.BOX)
    # An RGB picture's extrema are per band.
    extrema = cast("tuple[tuple[int, int], ...]", ImageChops.difference(theirs, ours).getextrema())
    assert max(high for _, high in extrema) <= 8
    variant = item(stack, team, outcome["job"]["result"]["images"][0]["galleryId"])
    assert (variant["source"], variant["parentId"]) == ("edited", parent["id"])
    assert variant["generation"]["provider"] == "openai"
