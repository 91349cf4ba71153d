"""The OpenAI emulator over real HTTP: the Responses API with the image_generation tool."""

from __future__ import annotations

import base64
import io
import struct
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from galleria_local.emulators import OpenAIEmulator

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def emulator() -> Iterator[OpenAIEmulator]:
    with OpenAIEmulator() as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(emulator: OpenAIEmulator) -> None:
    emulator.faults.clear()
    emulator.requests.clear()


@pytest.fixture(scope="module")
def client(emulator: OpenAIEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, timeout=30) as http:
        yield http


def request_body(prompt: Any = "Draw a red fox in watercolor", **tool: Any) -> dict[str, Any]:
    return {
        "model": "gpt-5-nano",
        "input": prompt,
        "tools": [
            {
                "type": "image_generation",
                "quality": "low",
                "size": "1024x1024",
                "output_format": "png",
                **tool,
            }
        ],
        "tool_choice": {"type": "image_generation"},
    }


def respond(client: httpx.Client, key: str | None, body: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return client.post("/v1/responses", json=body, headers=headers)


def items(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [item for item in document["output"] if item["type"] == kind]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def data_url(size: tuple[int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 90, 200)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_a_prompt_gets_reasoning_an_image_call_and_a_message(
    client: httpx.Client, emulator: OpenAIEmulator
) -> None:
    response = respond(client, emulator.api_key, request_body())

    assert response.status_code == 200
    assert response.headers["x-request-id"].startswith("req_")
    document = response.json()
    assert document["id"].startswith("resp_")
    assert document["object"] == "response"
    assert document["status"] == "completed"
    assert document["model"] == "gpt-5-nano-2025-08-07"
    assert [item["type"] for item in document["output"]] == ["reasoning", "image_generation_call", "message"]
    (call,) = items(document, "image_generation_call")
    assert call["id"].startswith("ig_")
    assert call["status"] == "completed"
    assert png_size(base64.b64decode(call["result"])) == (1024, 1024)
    assert call["revised_prompt"]
    assert (call["size"], call["output_format"], call["quality"], call["background"]) == (
        "1024x1024",
        "png",
        "low",
        "opaque",
    )
    assert items(document, "message")[0]["content"][0]["type"] == "output_text"
    usage = document["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


@pytest.mark.parametrize(("size", "pixels"), [("1536x1024", (1536, 1024)), ("1024x1536", (1024, 1536))])
def test_the_size_is_honoured(
    client: httpx.Client, emulator: OpenAIEmulator, size: str, pixels: tuple[int, int]
) -> None:
    response = respond(client, emulator.api_key, request_body(size=size))

    (call,) = items(response.json(), "image_generation_call")
    assert png_size(base64.b64decode(call["result"])) == pixels


def test_jpeg_output_is_a_jpeg(client: httpx.Client, emulator: OpenAIEmulator) -> None:
    response = respond(client, emulator.api_key, request_body(output_format="jpeg", output_compression=80))

    (call,) = items(response.json(), "image_generation_call")
    assert base64.b64decode(call["result"])[:3] == b"\xff\xd8\xff"
    assert call["output_format"] == "jpeg"


def test_an_edit_with_auto_size_follows_the_source(client: httpx.Client, emulator: OpenAIEmulator) -> None:
    message = {
        "role": "user",
        "content": [
            {"type": "input_text", "text": "Make the sky purple"},
            {"type": "input_image", "image_url": data_url((300, 200))},
        ],
    }
    response = respond(client, emulator.api_key, request_body([message], size="auto"))

    assert response.status_code == 200
    (call,) = items(response.json(), "image_generation_call")
    assert call["size"] == "1536x1024"
    assert png_size(base64.b64decode(call["result"])) == (1536, 1024)


def test_without_the_image_tool_there_is_no_image(client: httpx.Client, emulator: OpenAIEmulator) -> None:
    response = respond(client, emulator.api_key, {"model": "gpt-5-nano", "input": "a fox"})

    assert response.status_code == 200
    assert items(response.json(), "image_generation_call") == []


def test_no_key_is_a_401(client: httpx.Client) -> None:
    response = respond(client, None, request_body())

    assert response.status_code == 401
    assert response.headers["x-request-id"]
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert "didn't provide an API key" in error["message"]


def test_a_wrong_key_is_a_401_invalid_api_key(client: httpx.Client) -> None:
    response = respond(client, "sk-wrong-key-1234", request_body())

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert "sk-wrong-key-1234" not in response.text


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        (request_body(size="512x512"), "tools[0].size", "invalid_value"),
        (request_body(quality="ultra"), "tools[0].quality", "invalid_value"),
        (request_body(output_format="gif"), "tools[0].output_format", "invalid_value"),
        (
            request_body(background="transparent", output_format="jpeg"),
            "tools[0].background",
            "invalid_value",
        ),
        (request_body(output_compression=101), "tools[0].output_compression", "invalid_value"),
        ({**request_body(), "model": None}, "model", "missing_required_parameter"),
        ({**request_body(), "model": "dall-e-9"}, "model", "model_not_found"),
        (request_body(""), "input", "empty_string"),
        ({**request_body(), "input": None}, "input", "missing_required_parameter"),
        (
            {**request_body(), "tools": [], "tool_choice": {"type": "image_generation"}},
            "tool_choice",
            "invalid_value",
        ),
        (
            request_body(
                [{"role": "user", "content": [{"type": "input_image", "image_url": "https://x/y.png"}]}]
            ),
            "input[0].content[0].image_url",
            "invalid_value",
        ),
        (
            request_body(
                [
                    {
                        "role": "user",
                        "content": [{"type": "input_image", "image_url": "data:image/png;base64,aGk="}],
                    }
                ]
            ),
            "input[0].content[0].image_url",
            "invalid_image_format",
        ),
    ],
)
def test_invalid_requests_are_400_invalid_request_error(
    client: httpx.Client, emulator: OpenAIEmulator, body: dict[str, Any], param: str, code: str
) -> None:
    response = respond(client, emulator.api_key, body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_a_body_that_is_not_json_is_a_400(client: httpx.Client, emulator: OpenAIEmulator) -> None:
    response = client.post(
        "/v1/responses", content=b"{nope", headers={"Authorization": f"Bearer {emulator.api_key}"}
    )

    assert response.status_code == 400
    assert "could not parse the JSON body" in response.json()["error"]["message"]


def test_an_unknown_path_is_a_404(client: httpx.Client, emulator: OpenAIEmulator) -> None:
    response = client.post("/v1/images/variations", headers={"Authorization": f"Bearer {emulator.api_key}"})

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Invalid URL (POST /v1/images/variations)"


def test_a_rate_limit_fault_is_a_429_with_retry_after(client: httpx.Client, emulator: OpenAIEmulator) -> None:
    emulator.inject("rate_limit")

    response = respond(client, emulator.api_key, request_body())

    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"


def test_a_server_error_fault_is_a_500(client: httpx.Client, emulator: OpenAIEmulator) -> None:
    emulator.inject("server_error")

    response = respond(client, emulator.api_key, request_body())

    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"


def test_a_safety_fault_is_a_400_moderation_blocked(client: httpx.Client, emulator: OpenAIEmulator) -> None:
    emulator.inject("safety")

    response = respond(client, emulator.api_key, request_body())

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("image_generation_user_error", "moderation_blocked")


def test_a_no_image_fault_is_a_completed_response_without_an_image(
    client: httpx.Client, emulator: OpenAIEmulator
) -> None:
    emulator.inject("no_image")

    response = respond(client, emulator.api_key, request_body())

    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert items(response.json(), "image_generation_call") == []
    assert items(response.json(), "message")


def test_a_malformed_fault_is_a_200_that_is_not_json(client: httpx.Client, emulator: OpenAIEmulator) -> None:
    emulator.inject("malformed")

    response = respond(client, emulator.api_key, request_body())

    assert response.status_code == 200
    assert response.headers["x-request-id"]
    with pytest.raises(ValueError):
        response.json()


def test_a_timeout_fault_delays_a_normal_answer(client: httpx.Client, emulator: OpenAIEmulator) -> None:
    emulator.inject("timeout", delay_seconds=0.5)

    started = time.monotonic()
    response = respond(client, emulator.api_key, request_body())

    assert time.monotonic() - started >= 0.5
    assert response.status_code == 200


def test_faults_are_consumed_after_count(client: httpx.Client, emulator: OpenAIEmulator) -> None:
    client.post("/__emulator/faults", json={"fault": "rate_limit", "count": 2}).raise_for_status()

    statuses = [respond(client, emulator.api_key, request_body()).status_code for _ in range(3)]

    assert statuses == [429, 429, 200]


def test_the_request_log_shows_the_request_without_secrets_or_base64(
    client: httpx.Client, emulator: OpenAIEmulator
) -> None:
    message = {
        "role": "user",
        "content": [
            {"type": "input_text", "text": "edit"},
            {"type": "input_image", "image_url": data_url((64, 64))},
        ],
    }
    respond(client, emulator.api_key, request_body([message]))

    (entry,) = client.get("/__emulator/requests").json()["requests"]
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/v1/responses", 200)
    assert entry["headers"]["authorization"] == "<redacted>"
    assert emulator.api_key not in str(entry)
    assert entry["body"]["tools"][0]["type"] == "image_generation"
    image_url = entry["body"]["input"][0]["content"][1]["image_url"]
    assert image_url.startswith("<base64: ")
