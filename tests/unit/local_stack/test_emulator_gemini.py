"""The Gemini emulator over real HTTP: the generateContent protocol, its errors and its faults."""

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

from galleria_local.emulators import GeminiEmulator

MODEL = "gemini-2.5-flash-image"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def emulator() -> Iterator[GeminiEmulator]:
    with GeminiEmulator() as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(emulator: GeminiEmulator) -> None:
    emulator.faults.clear()
    emulator.requests.clear()


@pytest.fixture(scope="module")
def client(emulator: GeminiEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, timeout=30) as http:
        yield http


def generate(
    client: httpx.Client,
    key: str | None,
    body: dict[str, Any] | None = None,
    model: str = MODEL,
    **config: Any,
) -> httpx.Response:
    if body is None:
        body = {"contents": [{"role": "user", "parts": [{"text": "A serene mountain landscape at sunset"}]}]}
        if config:
            body["generationConfig"] = config
    headers = {"x-goog-api-key": key} if key is not None else {}
    return client.post(f"/v1beta/models/{model}:generateContent", json=body, headers=headers)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def image_parts(document: dict[str, Any]) -> list[bytes]:
    parts = document["candidates"][0]["content"]["parts"]
    return [base64.b64decode(part["inlineData"]["data"]) for part in parts if "inlineData" in part]


def png_data(size: tuple[int, int] = (64, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_prompt_gets_a_text_part_and_a_png(client: httpx.Client, emulator: GeminiEmulator) -> None:
    response = generate(client, emulator.api_key)

    assert response.status_code == 200
    document = response.json()
    candidate = document["candidates"][0]
    assert candidate["finishReason"] == "STOP"
    text, image = candidate["content"]["parts"]
    assert text["text"].startswith("Here is your image: A serene mountain")
    assert image["inlineData"]["mimeType"] == "image/png"
    assert png_size(base64.b64decode(image["inlineData"]["data"])) == (1024, 1024)
    assert document["modelVersion"] == MODEL
    assert document["responseId"]
    usage = document["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("1:1", (1024, 1024)),
        ("16:9", (1344, 768)),
        ("9:16", (768, 1344)),
        ("21:9", (1536, 672)),
        ("2:3", (832, 1248)),
    ],
)
def test_the_aspect_ratio_sets_the_size(
    client: httpx.Client, emulator: GeminiEmulator, ratio: str, size: tuple[int, int]
) -> None:
    response = generate(client, emulator.api_key, imageConfig={"aspectRatio": ratio})

    assert png_size(image_parts(response.json())[0]) == size


@pytest.mark.parametrize("ratio", ["3:2", "4:5", "5:4"])
def test_other_gemini_ratios_are_about_one_megapixel(
    client: httpx.Client, emulator: GeminiEmulator, ratio: str
) -> None:
    response = generate(client, emulator.api_key, imageConfig={"aspect_ratio": ratio})

    width, height = png_size(image_parts(response.json())[0])
    ratio_width, ratio_height = map(int, ratio.split(":"))
    assert width % 16 == 0
    assert height % 16 == 0
    assert abs(width / height - ratio_width / ratio_height) < 0.03
    assert 0.9e6 < width * height < 1.2e6


def test_the_key_may_come_as_a_query_parameter(client: httpx.Client, emulator: GeminiEmulator) -> None:
    body = {"contents": [{"parts": [{"text": "a fox"}]}]}
    response = client.post(
        f"/v1beta/models/{MODEL}:generateContent", params={"key": emulator.api_key}, json=body
    )

    assert response.status_code == 200
    assert emulator.requests.entries()[-1]["query"] == {"key": "<redacted>"}


def test_a_wrong_key_is_a_400_api_key_invalid(client: httpx.Client) -> None:
    response = generate(client, "not-the-key")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"] == "API key not valid. Please pass a valid API key."
    assert error["details"][0]["reason"] == "API_KEY_INVALID"


def test_no_key_is_a_403_permission_denied(client: httpx.Client) -> None:
    response = generate(client, None)

    assert response.status_code == 403
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"


def test_an_unknown_model_is_a_404(client: httpx.Client, emulator: GeminiEmulator) -> None:
    response = generate(client, emulator.api_key, model="gemini-0-imaginary")

    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"
    assert "models/gemini-0-imaginary is not found" in response.json()["error"]["message"]


def test_extra_models_can_be_allowed() -> None:
    with (
        GeminiEmulator(models=["gemini-9-image"]) as emulator,
        httpx.Client(base_url=emulator.base_url) as http,
    ):
        assert (
            generate(http, emulator.api_key, model="gemini-9-image", responseModalities=["TEXT"]).status_code
            == 200
        )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "contents is not specified"),
        ({"contents": [{"parts": []}]}, "parts must not be empty"),
        (
            {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]}]},
            None,
        ),
        ({"contents": [{"role": "robot", "parts": [{"text": "x"}]}]}, "valid role"),
        (
            {
                "contents": [{"parts": [{"text": "x"}]}],
                "generationConfig": {"imageConfig": {"aspectRatio": "9:21"}},
            },
            "9:21",
        ),
        (
            {
                "contents": [{"parts": [{"text": "x"}]}],
                "generationConfig": {"imageConfig": {"imageSize": "8K"}},
            },
            "8K",
        ),
        (
            {
                "contents": [{"parts": [{"text": "x"}]}],
                "generationConfig": {"imageConfig": {"personGeneration": "x"}},
            },
            None,
        ),
        (
            {"contents": [{"parts": [{"text": "x"}]}], "generationconfig": {}},
            'Unknown name "generationconfig"',
        ),
        (
            {
                "contents": [
                    {"parts": [{"text": "x"}, {"inlineData": {"mimeType": "image/png", "data": "%%%"}}]}
                ]
            },
            "Base64",
        ),
        (
            {
                "contents": [
                    {
                        "parts": [
                            {"text": "x"},
                            {"inline_data": {"mime_type": "image/png", "data": "aGVsbG8="}},
                        ]
                    }
                ]
            },
            "Unable to process input image",
        ),
    ],
)
def test_invalid_requests_are_400_invalid_argument(
    client: httpx.Client, emulator: GeminiEmulator, body: dict[str, Any], message: str | None
) -> None:
    response = generate(client, emulator.api_key, body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 400
    assert error["status"] == "INVALID_ARGUMENT"
    if message is not None:
        assert message in error["message"]


def test_the_3_1_flash_model_takes_its_extra_ratios(client: httpx.Client, emulator: GeminiEmulator) -> None:
    extra = generate(
        client, emulator.api_key, model="gemini-3.1-flash-image-preview", imageConfig={"aspectRatio": "1:4"}
    )
    refused = generate(client, emulator.api_key, imageConfig={"aspectRatio": "1:4"})

    width, height = png_size(image_parts(extra.json())[0])
    assert height == 4 * width
    assert refused.status_code == 400


def test_an_edit_follows_the_source_images_proportions(
    client: httpx.Client, emulator: GeminiEmulator
) -> None:
    source = base64.b64encode(png_data((600, 300))).decode()
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "Make it blue"},
                    {"inline_data": {"mime_type": "image/png", "data": source}},
                ],
            }
        ]
    }
    response = generate(client, emulator.api_key, body)

    assert response.status_code == 200
    width, height = png_size(image_parts(response.json())[0])
    assert abs(width / height - 2) < 0.05
    assert response.json()["usageMetadata"]["promptTokenCount"] > 258


def test_image_only_modality_has_no_text_part(client: httpx.Client, emulator: GeminiEmulator) -> None:
    response = generate(client, emulator.api_key, responseModalities=["IMAGE"])

    parts = response.json()["candidates"][0]["content"]["parts"]
    assert [list(part) for part in parts] == [["inlineData"]]


def test_gemini_3_sends_thoughts_when_asked_and_a_signature(
    client: httpx.Client, emulator: GeminiEmulator
) -> None:
    response = generate(
        client, emulator.api_key, model="gemini-3-pro-image-preview", thinkingConfig={"includeThoughts": True}
    )

    parts = response.json()["candidates"][0]["content"]["parts"]
    assert parts[0]["thought"] is True
    assert "thoughtSignature" in parts[-1]
    assert len(image_parts(response.json())) == 1


def test_a_seed_repeats_an_image_and_no_seed_varies_it(
    client: httpx.Client, emulator: GeminiEmulator
) -> None:
    seeded = [image_parts(generate(client, emulator.api_key, seed=7).json())[0] for _ in range(2)]
    unseeded = [image_parts(generate(client, emulator.api_key).json())[0] for _ in range(2)]

    assert seeded[0] == seeded[1]
    assert unseeded[0] != unseeded[1]


def test_a_rate_limit_fault_is_a_429_with_retry_info(client: httpx.Client, emulator: GeminiEmulator) -> None:
    emulator.inject("rate_limit")

    response = generate(client, emulator.api_key)

    assert response.status_code == 429
    error = response.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    retry = [detail for detail in error["details"] if detail["@type"].endswith("RetryInfo")]
    assert retry == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}]


def test_a_server_error_fault_is_a_500_internal(client: httpx.Client, emulator: GeminiEmulator) -> None:
    emulator.inject("server_error")

    response = generate(client, emulator.api_key)

    assert response.status_code == 500
    assert response.json()["error"]["status"] == "INTERNAL"


def test_a_safety_fault_is_a_200_image_safety_refusal(client: httpx.Client, emulator: GeminiEmulator) -> None:
    emulator.inject("safety")

    response = generate(client, emulator.api_key)

    assert response.status_code == 200
    candidate = response.json()["candidates"][0]
    assert candidate["finishReason"] == "IMAGE_SAFETY"
    assert [list(part) for part in candidate["content"]["parts"]] == [["text"]]


def test_a_no_image_fault_is_a_text_only_stop(client: httpx.Client, emulator: GeminiEmulator) -> None:
    emulator.inject("no_image")

    response = generate(client, emulator.api_key)

    assert response.status_code == 200
    assert response.json()["candidates"][0]["finishReason"] == "STOP"
    assert image_parts(response.json()) == []


def test_a_malformed_fault_is_a_200_that_is_not_json(client: httpx.Client, emulator: GeminiEmulator) -> None:
    emulator.inject("malformed")

    response = generate(client, emulator.api_key)

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_a_timeout_fault_delays_a_normal_answer(client: httpx.Client, emulator: GeminiEmulator) -> None:
    emulator.inject("timeout", delay_seconds=0.5)

    started = time.monotonic()
    response = generate(client, emulator.api_key, responseModalities=["TEXT"])

    assert time.monotonic() - started >= 0.5
    assert response.status_code == 200


def test_faults_are_consumed_after_count_and_only_by_valid_requests(
    client: httpx.Client, emulator: GeminiEmulator
) -> None:
    client.post("/__emulator/faults", json={"fault": "server_error", "count": 2}).raise_for_status()

    refused = generate(client, "wrong key")
    statuses = [generate(client, emulator.api_key, responseModalities=["TEXT"]).status_code for _ in range(3)]

    assert refused.status_code == 400
    assert statuses == [500, 500, 200]
