"""Each cloud model through the whole path — API, queue, worker, provider client, S3, item, answer —
against recorded-shape provider responses (respx), so no network and no emulator is involved."""

from __future__ import annotations

import base64
import io
import json

import httpx
import pytest
import respx
from PIL import Image

from galleria.accounts.repository import AccountsRepository
from galleria.config import get_settings
from galleria.providers.transport import shared_http

GENERATE = "/api/v1/generate-image"
GEMINI_URL = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent"


def _png(size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (30, 140, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()
PNG_B64 = base64.b64encode(PNG).decode()


@pytest.fixture
def cloud_keys(stack, monkeypatch):
    for name, value in {
        "GEMINI_API_KEY": "g-test-key",
        "OPENAI_API_KEY": "sk-test",
        "BFL_API_KEY": "bfl-test",
        "BFL_POLL_INTERVAL_SECONDS": "0",
        "PROVIDER_MAX_RETRIES": "2",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    shared_http.cache_clear()
    yield
    shared_http.cache_clear()


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


def _gemini_success(text: str = "Here is your image: ") -> dict:
    return {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": text},
                        {
                            "inlineData": {"mimeType": "image/png", "data": PNG_B64},
                            "thoughtSignature": "EpIB",
                        },
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 1290, "totalTokenCount": 1299},
        "modelVersion": "gemini-2.5-flash-image",
        "responseId": "deO6aLeTE4fYvdIPuIm_kQQ",
    }


@respx.mock
def test_gemini_end_to_end(stack, team, cloud_keys) -> None:
    route = respx.post(GEMINI_URL).mock(return_value=httpx.Response(200, json=_gemini_success()))

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
    route = respx.post(GEMINI_URL).mock(return_value=httpx.Response(200, json=_gemini_success()))
    source = _png((32, 32), (250, 0, 0))
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
def test_gemini_several_images_are_several_calls(stack, team, cloud_keys) -> None:
    route = respx.post(GEMINI_URL).mock(return_value=httpx.Response(200, json=_gemini_success()))
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
        side_effect=[httpx.Response(429, json=limited), httpx.Response(200, json=_gemini_success())]
    )
    job = _run(stack, team, {"prompt": "A lake", "model": "google/gemini-2.5-flash-image"})
    assert job["status"] == "succeeded"


@respx.mock
def test_gemini_safety_block_is_content_policy_with_a_refund(stack, team, cloud_keys) -> None:
    blocked = {
        "candidates": [
            {"content": {"parts": [{"text": "I can't create that."}]}, "finishReason": "IMAGE_SAFETY"}
        ]
    }
    respx.post(GEMINI_URL).mock(return_value=httpx.Response(200, json=blocked))
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


@respx.mock
def test_openai_end_to_end(stack, team, cloud_keys) -> None:
    route = respx.post("https://api.openai.com/v1/responses").mock(
        return_value=httpx.Response(
            200,
            headers={"x-request-id": "req_123"},
            json={
                "id": "resp_68abc",
                "object": "response",
                "status": "completed",
                "model": "gpt-5-nano-2025-08-07",
                "output": [
                    {"type": "reasoning", "id": "rs_1", "summary": []},
                    {
                        "type": "message",
                        "id": "msg_1",
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "output_text", "text": "Here is your fox.", "annotations": []}],
                    },
                    {
                        "type": "image_generation_call",
                        "id": "ig_1",
                        "status": "completed",
                        "result": PNG_B64,
                        "output_format": "png",
                        "size": "1536x1024",
                    },
                ],
            },
        )
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
    respx.post("https://api.openai.com/v1/responses").mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {
                    "message": "Your request was rejected by the safety system.",
                    "type": "image_generation_user_error",
                    "param": None,
                    "code": "moderation_blocked",
                }
            },
        )
    )
    job = _run(stack, team, {"prompt": "Something", "model": "openai/gpt-5-nano"})
    assert job["status"] == "failed" and job["error"]["code"] == "content_policy"
    assert AccountsRepository().get_team(team.team_id).credits == 1000


@respx.mock
def test_bfl_end_to_end_submit_poll_download(stack, team, cloud_keys) -> None:
    submit = respx.post("https://api.bfl.ai/v1/flux-kontext-max").mock(
        return_value=httpx.Response(
            200,
            json={
                "id": "b9b172a8",
                "polling_url": "https://api.us1.bfl.ai/v1/get_result?id=b9b172a8",
                "cost": 8.0,
            },
        )
    )
    pending = {"id": "b9b172a8", "status": "Pending", "result": None, "progress": 0.4}
    ready = {
        "id": "b9b172a8",
        "status": "Ready",
        "result": {"sample": "https://delivery-us1.bfl.ai/results/ab/sample.png?sig=x", "seed": 1234},
    }
    poll = respx.get("https://api.us1.bfl.ai/v1/get_result").mock(
        side_effect=[httpx.Response(200, json=pending), httpx.Response(200, json=ready)]
    )
    download = respx.get("https://delivery-us1.bfl.ai/results/ab/sample.png").mock(
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
    respx.post("https://api.bfl.ai/v1/flux-kontext-max").mock(
        return_value=httpx.Response(
            200, json={"id": "t1", "polling_url": "https://api.bfl.ai/v1/get_result?id=t1"}
        )
    )
    respx.get("https://api.bfl.ai/v1/get_result").mock(
        return_value=httpx.Response(200, json={"id": "t1", "status": "Request Moderated", "result": None})
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
    ).mock(return_value=httpx.Response(200, json=_gemini_success()))

    job = _run(stack, team, {"prompt": "A lake", "model": "google/gemini-3-pro-image"})

    assert job["status"] == "succeeded"
    assert route.calls.last.request.headers["x-goog-api-key"] == "key-from-ssm"
