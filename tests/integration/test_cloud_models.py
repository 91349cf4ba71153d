"""Each cloud model through the whole path — API, queue, worker, provider client, S3, item, answer —
against recorded-shape provider responses (respx), so no network and no emulator is involved."""

from __future__ import annotations

import base64
import io
import json

import httpx
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
    png,
)
from PIL import Image

from galleria.accounts.repository import AccountsRepository
from galleria.config import get_settings
from galleria.providers.transport import shared_http

GENERATE = "/api/v1/generate-image"


def _run(stack, team, body: dict) -> dict:
    accepted = stack.request("POST", GENERATE, key=team.key, json_body={**body, "async": True})
    assert accepted.status == 202, accepted.json()
    stack.run_workers()
    return stack.request("GET", f"/api/v1/jobs/{accepted.json()['jobId']}", key=team.key).json()


def _item(stack, team, job: dict) -> dict:
    item_id = job["result"]["images"][0]["galleryId"]
    return stack.request("GET", f"/api/v1/gallery/{item_id}", key=team.key).json()


def _stored_original(stack, team, item: dict) -> bytes:
    response = stack.request(
        "GET", f"/api/v1/gallery/{item['id']}/download", key=team.key, query={"format": "original"}
    )
    assert response.status == 200
    return response.body


@respx.mock
def test_gemini_end_to_end(stack, team, cloud_keys) -> None:
    route = respx.post(GEMINI_URL).mock(return_value=httpx.Response(200, json=gemini_success()))

    job = _run(
        stack,
        team,
        {"prompt": "A serene lake", "model": "google/gemini-2.5-flash-image", "aspectRatio": "9:21"},
    )

    assert job["status"] == "succeeded"
    assert job["result"]["images"][0]["text"] == "Here is your image:"
    item = _item(stack, team, job)
    assert item["generation"] == {
        "provider": "google",
        "modelVersion": "gemini-2.5-flash-image",
        "request": item["generation"]["request"],
        "seedUsed": None,
        "providerRequestId": "deO6aLeTE4fYvdIPuIm_kQQ",
        "reproducible": False,
    }
    assert item["generation"]["request"]["aspectRatio"] == "9:21"
    assert _stored_original(stack, team, item) == PNG  # byte for byte as the provider sent it
    sent = json.loads(route.calls.last.request.content)
    assert route.calls.last.request.headers["x-goog-api-key"] == "g-test-key"
    assert sent["generationConfig"]["imageConfig"]["aspectRatio"] == "9:16"  # nearest Gemini ratio


@respx.mock
def test_gemini_receives_the_source_image_and_style(stack, team, cloud_keys) -> None:
    route = respx.post(GEMINI_URL).mock(return_value=httpx.Response(200, json=gemini_success()))
    source = png((32, 32), (250, 0, 0))
    body = {
        "prompt": "Transform this into a watercolor painting",
        "model": "google/gemini-2.5-flash-image",
        "stylePreset": "origami",
        "sourceImage": "data:image/png;base64," + base64.b64encode(source).decode(),
    }

    assert _run(stack, team, body)["status"] == "succeeded"

    parts = json.loads(route.calls.last.request.content)["contents"][0]["parts"]
    assert parts[0]["text"].startswith("Transform this into a watercolor painting")
    assert "paper" in parts[0]["text"]  # the origami modifier
    assert base64.b64decode(parts[1]["inlineData"]["data"]) == source


@respx.mock
def test_gemini_receives_a_gallery_items_image_for_source_item_id(stack, team, cloud_keys) -> None:
    source_id = stack.make_items(team, 1, prompt="neon city at night")[0]
    source = _stored_original(stack, team, {"id": source_id})
    route = respx.post(GEMINI_URL).mock(return_value=httpx.Response(200, json=gemini_success()))

    job = _run(
        stack,
        team,
        {"prompt": "Make it snow", "model": "google/gemini-2.5-flash-image", "sourceItemId": source_id},
    )

    assert job["status"] == "succeeded"
    parts = json.loads(route.calls.last.request.content)["contents"][0]["parts"]
    assert parts[0]["text"] == "Make it snow"
    assert parts[1]["inlineData"]["mimeType"] == "image/png"
    assert base64.b64decode(parts[1]["inlineData"]["data"]) == source  # the item's original, unchanged
    assert _item(stack, team, job)["generation"]["request"]["sourceItemId"] == source_id


@respx.mock
def test_gemini_several_images_are_several_calls(stack, team, cloud_keys) -> None:
    route = respx.post(GEMINI_URL).mock(return_value=httpx.Response(200, json=gemini_success()))
    job = _run(
        stack, team, {"prompt": "Cyberpunk city", "model": "google/gemini-2.5-flash-image", "numImages": 3}
    )
    assert job["result"]["numImages"] == 3 and route.call_count == 3
    assert AccountsRepository().get_team(team.team_id).credits == 1000 - 15


@respx.mock
def test_gemini_rate_limited_then_fine(stack, team, cloud_keys) -> None:
    limited = {
        "error": {
            "code": 429,
            "status": "RESOURCE_EXHAUSTED",
            "message": "You exceeded your current quota",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.01s"}],
        }
    }
    respx.post(GEMINI_URL).mock(
        side_effect=[httpx.Response(429, json=limited), httpx.Response(200, json=gemini_success())]
    )
    job = _run(stack, team, {"prompt": "A lake", "model": "google/gemini-2.5-flash-image"})
    assert job["status"] == "succeeded"


@respx.mock
def test_gemini_safety_block_is_content_policy_with_a_refund(stack, team, cloud_keys) -> None:
    respx.post(GEMINI_URL).mock(return_value=httpx.Response(200, json=gemini_image_safety()))
    job = _run(stack, team, {"prompt": "Something", "model": "google/gemini-2.5-flash-image"})
    assert job["status"] == "failed" and job["error"]["code"] == "content_policy"
    assert "IMAGE_SAFETY" in job["error"]["message"]
    assert AccountsRepository().get_team(team.team_id).credits == 1000


@respx.mock
def test_gemini_overloaded_is_left_to_the_queue_then_refunded(stack, team, cloud_keys, monkeypatch) -> None:
    monkeypatch.setenv("PROVIDER_MAX_RETRIES", "0")
    get_settings.cache_clear()
    shared_http.cache_clear()
    overloaded = {"error": {"code": 503, "status": "UNAVAILABLE", "message": "The model is overloaded."}}
    respx.post(GEMINI_URL).mock(return_value=httpx.Response(503, json=overloaded))
    body = {"prompt": "A lake", "model": "google/gemini-2.5-flash-image", "async": True}
    job_id = stack.request("POST", GENERATE, key=team.key, json_body=body).json()["jobId"]

    assert len(stack.deliver(job_id, receive_count=1)["batchItemFailures"]) == 1
    assert len(stack.deliver(job_id, receive_count=5)["batchItemFailures"]) == 1  # on to the DLQ

    job = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()
    assert job["status"] == "failed" and "overloaded" in job["error"]["message"]
    assert AccountsRepository().get_team(team.team_id).credits == 1000


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 36), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@respx.mock
def test_gemini_3_1_flash_end_to_end(stack, team, cloud_keys) -> None:
    # A Gemini 3 answer: interim "thought" text and image first, then the final text and JPEG
    final, interim = _jpeg((200, 40, 40)), _jpeg((0, 0, 0))
    answer = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "Planning the composition...", "thought": True},
                        {
                            "inlineData": {
                                "mimeType": "image/jpeg",
                                "data": base64.b64encode(interim).decode(),
                            },
                            "thought": True,
                        },
                        {"text": "A lighthouse at dusk."},
                        {
                            "inlineData": {
                                "mimeType": "image/jpeg",
                                "data": base64.b64encode(final).decode(),
                            },
                            "thoughtSignature": "Ev4B",
                        },
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 1120, "totalTokenCount": 1132},
        "modelVersion": "gemini-3.1-flash-image-preview",
        "responseId": "q7nXaJ2pKcWmvdIP5tGq8Qg",
    }
    route = respx.post(
        "https://generativelanguage.googleapis.com/v1beta/models/"
        "gemini-3.1-flash-image-preview:generateContent"
    ).mock(return_value=httpx.Response(200, json=answer))

    job = _run(
        stack,
        team,
        {
            "prompt": "A lighthouse at dusk",
            "model": "google/gemini-3.1-flash-image-preview",
            "aspectRatio": "21:9",
        },
    )

    assert job["status"] == "succeeded"
    assert job["result"]["images"][0]["text"] == "A lighthouse at dusk."  # thoughts are not the answer
    assert route.call_count == 1
    item = _item(stack, team, job)
    assert item["generation"] == {
        "provider": "google",
        "modelVersion": "gemini-3.1-flash-image-preview",
        "request": item["generation"]["request"],
        "seedUsed": None,
        "providerRequestId": "q7nXaJ2pKcWmvdIP5tGq8Qg",
        "reproducible": False,
    }
    assert item["generation"]["request"]["model"] == "google/gemini-3.1-flash-image-preview"
    assert item["model"] == "google/gemini-3.1-flash-image-preview"
    assert item["mimeType"] == "image/jpeg"
    assert _stored_original(stack, team, item) == final  # the final image, not the interim one
    sent = json.loads(route.calls.last.request.content)
    assert route.calls.last.request.headers["x-goog-api-key"] == "g-test-key"
    assert sent["generationConfig"]["imageConfig"]["aspectRatio"] == "21:9"
    assert AccountsRepository().get_team(team.team_id).credits == 1000 - 5


@respx.mock
def test_openai_end_to_end(stack, team, cloud_keys) -> None:
    route = respx.post(OPENAI_URL).mock(
        return_value=httpx.Response(200, headers={"x-request-id": "req_123"}, json=openai_success())
    )

    job = _run(stack, team, {"prompt": "A red fox", "model": "openai/gpt-5-nano", "aspectRatio": "16:9"})

    assert job["status"] == "succeeded"
    assert job["result"]["images"][0]["text"] == "Here is your fox."
    item = _item(stack, team, job)
    assert item["generation"]["provider"] == "openai"
    assert item["generation"]["providerRequestId"] == "resp_68abc"
    assert item["generation"]["modelVersion"] == "gpt-5-nano-2025-08-07"
    sent = json.loads(route.calls.last.request.content)
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-test"
    assert sent["tools"][0]["type"] == "image_generation" and sent["tools"][0]["size"] == "1536x1024"
    assert _stored_original(stack, team, item) == PNG


@respx.mock
def test_openai_moderation_block_is_content_policy(stack, team, cloud_keys) -> None:
    respx.post(OPENAI_URL).mock(return_value=httpx.Response(400, json=openai_moderation_blocked()))
    job = _run(stack, team, {"prompt": "Something", "model": "openai/gpt-5-nano"})
    assert job["status"] == "failed" and job["error"]["code"] == "content_policy"
    assert AccountsRepository().get_team(team.team_id).credits == 1000


@respx.mock
def test_bfl_end_to_end_submit_poll_download(stack, team, cloud_keys) -> None:
    submit = respx.post(BFL_KONTEXT_MAX_URL).mock(return_value=httpx.Response(200, json=bfl_submitted()))
    poll = respx.get(BFL_POLLING_URL).mock(
        side_effect=[httpx.Response(200, json=bfl_pending()), httpx.Response(200, json=bfl_ready())]
    )
    download = respx.get(BFL_SAMPLE_URL).mock(
        return_value=httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
    )

    job = _run(
        stack, team, {"prompt": "Change the car colour to red", "model": "bfl/flux-kontext-max", "seed": 1234}
    )

    assert job["status"] == "succeeded"
    item = _item(stack, team, job)
    assert item["seed"] == 1234
    assert item["generation"]["provider"] == "bfl"
    assert item["generation"]["seedUsed"] == 1234 and item["generation"]["reproducible"] is True
    assert item["generation"]["providerRequestId"] == "b9b172a8"
    assert json.loads(submit.calls.last.request.content)["seed"] == 1234
    assert poll.call_count == 2
    assert "x-key" not in download.calls.last.request.headers
    assert _stored_original(stack, team, item) == PNG


@respx.mock
def test_bfl_moderated_request_is_content_policy(stack, team, cloud_keys) -> None:
    respx.post(BFL_KONTEXT_MAX_URL).mock(
        return_value=httpx.Response(200, json=bfl_submitted("t1", "https://api.bfl.ai/v1/get_result?id=t1"))
    )
    respx.get("https://api.bfl.ai/v1/get_result").mock(
        return_value=httpx.Response(200, json=bfl_request_moderated("t1"))
    )
    job = _run(stack, team, {"prompt": "Something", "model": "bfl/flux-kontext-max"})
    assert job["status"] == "failed" and job["error"]["code"] == "content_policy"
    assert AccountsRepository().get_team(team.team_id).credits == 1000


@respx.mock
def test_a_deployment_reads_the_key_from_ssm_and_honours_model_overrides(stack, team, monkeypatch) -> None:
    import boto3

    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name="/galleria/gemini-api-key", Value="key-from-ssm", Type="SecureString"
    )
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY_PARAMETER", "/galleria/gemini-api-key")
    monkeypatch.setenv("PROVIDER_MODEL_OVERRIDES", '{"google/gemini-3-pro-image": "gemini-3-pro-image"}')
    get_settings.cache_clear()
    shared_http.cache_clear()
    route = respx.post(
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-3-pro-image:generateContent"
    ).mock(return_value=httpx.Response(200, json=gemini_success()))

    job = _run(stack, team, {"prompt": "A lake", "model": "google/gemini-3-pro-image"})

    assert job["status"] == "succeeded"
    assert route.calls.last.request.headers["x-goog-api-key"] == "key-from-ssm"
