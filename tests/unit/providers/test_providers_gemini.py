"""Gemini image models over REST: request shape, parsing, safety blocks, retries and errors."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import httpx
import pytest
import respx
from provider_fakes import PNG, PNG_B64, PNG_MAGIC, SOURCE_JPEG, FakeClock, MakeHttp, endpoint

from galleria.providers.base import ContentPolicyViolation, ProviderError, ProviderRequest
from galleria.providers.gemini import GeminiProvider
from galleria.providers.prompts import styled_prompt
from galleria.providers.transport import ProviderHttp

BASE_URL = "https://generativelanguage.googleapis.com"
ROUTE = r".*/v1beta/models/[^/:]+:generateContent$"
REQUEST = ProviderRequest(prompt="A red fox in the snow", aspect_ratio="1:1", style_preset="none", seed=7)


def provider(http: ProviderHttp, model: str = "gemini-2.5-flash-image") -> GeminiProvider:
    return GeminiProvider(model, endpoint(BASE_URL, "google"), http=http)


def answer(*parts: dict[str, Any], finish: str = "STOP", **extra: Any) -> dict[str, Any]:
    """A generateContent response with one candidate made of ``parts``."""
    return {
        "candidates": [
            {"content": {"role": "model", "parts": list(parts)}, "finishReason": finish, "index": 0}
        ],
        "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 1290, "totalTokenCount": 1299},
        "modelVersion": "gemini-2.5-flash-image",
        "responseId": "deO6aLeTE4fYvdIPuIm_kQQ",
        **extra,
    }


def image_part(data: str = PNG_B64, mime: str = "image/png", **extra: Any) -> dict[str, Any]:
    return {"inlineData": {"mimeType": mime, "data": data}, **extra}


def rpc_error(code: int, status: str, message: str, *details: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"code": code, "status": status, "message": message, "details": list(details)}}


def sent_json(route: respx.Route, index: int = -1) -> dict[str, Any]:
    return json.loads(route.calls[index].request.content)


# --- success ------------------------------------------------------------------------------------


def test_an_image_with_text_comes_back_with_its_text_and_ids(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    respx_mock.post(url__regex=ROUTE).respond(
        200, json=answer({"text": "Here is your image: "}, image_part())
    )

    image = provider(http).generate(REQUEST)

    assert image.data == PNG
    assert image.data.startswith(PNG_MAGIC)
    assert image.mime_type == "image/png"
    assert image.text == "Here is your image:"
    assert image.provider == "google"
    assert image.model_version == "gemini-2.5-flash-image"
    assert image.provider_request_id == "deO6aLeTE4fYvdIPuIm_kQQ"
    assert image.seed_used is None
    assert image.reproducible is False


def test_the_request_carries_the_key_prompt_modalities_and_ratio(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    route = respx_mock.post(f"{BASE_URL}/v1beta/models/gemini-2.5-flash-image:generateContent").respond(
        200, json=answer(image_part())
    )

    provider(http).generate(REQUEST)

    request = route.calls.last.request
    assert request.headers["x-goog-api-key"] == "test-key"
    assert request.headers["content-type"] == "application/json"
    assert sent_json(route) == {
        "contents": [{"role": "user", "parts": [{"text": "A red fox in the snow"}]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": {"aspectRatio": "1:1"}},
    }


def test_an_image_alone_has_no_text_and_the_model_id_stands_in_for_a_missing_version(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    body = answer(image_part(thoughtSignature="EpIB..."))
    del body["modelVersion"], body["responseId"]
    respx_mock.post(url__regex=ROUTE).respond(200, json=body)

    image = provider(http, "gemini-3.1-flash-image-preview").generate(REQUEST)

    assert image.data == PNG
    assert image.text is None
    assert image.model_version == "gemini-3.1-flash-image-preview"
    assert image.provider_request_id is None


def test_the_final_image_is_kept_not_the_thought_image_before_it(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    thought = base64.b64encode(b"interim sketch").decode()
    respx_mock.post(url__regex=ROUTE).respond(
        200,
        json=answer(
            {"text": "Planning the composition", "thought": True},
            image_part(thought, thought=True),
            image_part(mime="image/jpeg"),
            {"text": "Done."},
        ),
    )

    image = provider(http, "gemini-3-pro-image").generate(REQUEST)

    assert image.data == PNG
    assert image.mime_type == "image/jpeg"
    assert image.text == "Done."


def test_several_images_are_several_independent_calls(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    route = respx_mock.post(url__regex=ROUTE).mock(
        side_effect=[httpx.Response(200, json=answer(image_part(), responseId=f"r{n}")) for n in range(3)]
    )
    gemini = provider(http)

    images = [gemini.generate(replace(REQUEST, seed=7 + n)) for n in range(3)]

    assert route.call_count == 3
    assert [image.provider_request_id for image in images] == ["r0", "r1", "r2"]
    assert all(image.data == PNG for image in images)


# --- what is sent -------------------------------------------------------------------------------


def test_a_source_image_is_sent_inline_as_base64_with_its_type(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    route = respx_mock.post(url__regex=ROUTE).respond(200, json=answer(image_part()))

    provider(http).generate(replace(REQUEST, prompt="Put a party hat on the fox", source_image=SOURCE_JPEG))

    parts = sent_json(route)["contents"][0]["parts"]
    assert parts == [
        {"text": "Put a party hat on the fox"},
        {"inlineData": {"mimeType": "image/jpeg", "data": base64.b64encode(SOURCE_JPEG).decode()}},
    ]


def test_a_recorded_source_type_is_sent_as_recorded(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    route = respx_mock.post(url__regex=ROUTE).respond(200, json=answer(image_part()))

    provider(http).generate(replace(REQUEST, source_image=PNG, source_mime_type="image/png"))

    assert sent_json(route)["contents"][0]["parts"][1]["inlineData"]["mimeType"] == "image/png"


@pytest.mark.parametrize(
    ("ours", "gemini"),
    [
        ("1:1", "1:1"),
        ("16:9", "16:9"),
        ("9:16", "9:16"),
        ("4:3", "4:3"),
        ("3:4", "3:4"),
        ("21:9", "21:9"),
        ("9:21", "9:16"),
    ],
)
def test_aspect_ratios_map_to_gemini_ratios_with_9_21_becoming_9_16(
    respx_mock: respx.MockRouter, http: ProviderHttp, ours: str, gemini: str
) -> None:
    route = respx_mock.post(url__regex=ROUTE).respond(200, json=answer(image_part()))

    provider(http).generate(replace(REQUEST, aspect_ratio=ours))

    assert sent_json(route)["generationConfig"]["imageConfig"] == {"aspectRatio": gemini}


def test_the_style_preset_is_added_to_the_prompt(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    route = respx_mock.post(url__regex=ROUTE).respond(200, json=answer(image_part()))

    provider(http).generate(replace(REQUEST, style_preset="analog-film"))

    text = sent_json(route)["contents"][0]["parts"][0]["text"]
    assert text == styled_prompt("A red fox in the snow", "analog-film")
    assert text.startswith("A red fox in the snow")
    assert "film grain" in text


@pytest.mark.parametrize(
    ("model", "timeout"), [("gemini-2.5-flash-image", 120.0), ("gemini-3-pro-image", 240.0)]
)
def test_pro_models_get_a_longer_read_timeout_than_flash(
    respx_mock: respx.MockRouter, make_http: MakeHttp, model: str, timeout: float
) -> None:
    route = respx_mock.post(url__regex=ROUTE).respond(200, json=answer(image_part()))

    provider(make_http(budget_seconds=600), model).generate(REQUEST)

    assert route.calls.last.request.extensions["timeout"]["read"] == timeout


def test_the_read_timeout_never_exceeds_the_budget(respx_mock: respx.MockRouter, make_http: MakeHttp) -> None:
    route = respx_mock.post(url__regex=ROUTE).respond(200, json=answer(image_part()))

    provider(make_http(budget_seconds=90), "gemini-3-pro-image").generate(REQUEST)

    assert route.calls.last.request.extensions["timeout"]["read"] == 90.0


# --- safety and missing images ------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason", ["IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "SAFETY", "PROHIBITED_CONTENT"]
)
def test_a_blocked_output_is_a_content_policy_violation_with_the_models_words(
    respx_mock: respx.MockRouter, http: ProviderHttp, reason: str
) -> None:
    route = respx_mock.post(url__regex=ROUTE).respond(
        200,
        json={
            "candidates": [{"content": {"parts": [{"text": "I can't create that."}]}, "finishReason": reason}]
        },
    )

    with pytest.raises(ContentPolicyViolation) as caught:
        provider(http).generate(REQUEST)

    assert str(caught.value) == f"Gemini's safety system blocked this image ({reason}): I can't create that."
    assert caught.value.retryable is False
    assert route.call_count == 1


def test_a_blocked_output_without_content_prefers_the_finish_message(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    respx_mock.post(url__regex=ROUTE).respond(
        200, json={"candidates": [{"finishReason": "IMAGE_SAFETY", "finishMessage": "Unsafe image."}]}
    )

    with pytest.raises(ContentPolicyViolation, match=r"IMAGE_SAFETY\): Unsafe image\.$"):
        provider(http).generate(REQUEST)


def test_a_blocked_prompt_is_a_content_policy_violation(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    respx_mock.post(url__regex=ROUTE).respond(
        200,
        json={
            "promptFeedback": {"blockReason": "PROHIBITED_CONTENT", "safetyRatings": []},
            "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9},
        },
    )

    with pytest.raises(ContentPolicyViolation) as caught:
        provider(http).generate(REQUEST)

    assert str(caught.value) == "Gemini's safety system blocked the prompt (PROHIBITED_CONTENT)"


@pytest.mark.parametrize("finish", ["STOP", "NO_IMAGE"])
def test_a_text_only_answer_fails_with_the_models_text(
    respx_mock: respx.MockRouter, http: ProviderHttp, finish: str
) -> None:
    route = respx_mock.post(url__regex=ROUTE).respond(
        200, json=answer({"text": "I can only describe foxes."}, finish=finish)
    )

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert not isinstance(caught.value, ContentPolicyViolation)
    assert caught.value.retryable is False
    assert (
        str(caught.value) == f"Gemini returned no image (finish reason {finish}): I can only describe foxes."
    )
    assert route.call_count == 1


@pytest.mark.parametrize(
    "body",
    [
        {"candidates": []},
        {"candidates": [{"finishReason": "STOP"}]},
        {"candidates": [{"content": {"parts": []}}]},
    ],
)
def test_a_response_without_image_parts_is_a_clear_failure(
    respx_mock: respx.MockRouter, http: ProviderHttp, body: dict[str, Any]
) -> None:
    respx_mock.post(url__regex=ROUTE).respond(200, json=body)

    with pytest.raises(ProviderError, match=r"^Gemini returned no image"):
        provider(http).generate(REQUEST)


def test_a_response_that_is_not_json_is_a_failure(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    respx_mock.post(url__regex=ROUTE).respond(200, text="<html>upstream error</html>")

    with pytest.raises(ProviderError, match=r"^Gemini returned a response that could not be read$"):
        provider(http).generate(REQUEST)


def test_image_data_that_is_not_base64_is_a_failure(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    respx_mock.post(url__regex=ROUTE).respond(200, json=answer(image_part("not base64!")))

    with pytest.raises(ProviderError, match="not valid base64"):
        provider(http).generate(REQUEST)


# --- rate limits, outages, timeouts -------------------------------------------------------------


def test_a_rate_limit_waits_the_retry_delay_gemini_asks_for(
    respx_mock: respx.MockRouter, http: ProviderHttp, clock: FakeClock
) -> None:
    quota = rpc_error(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota",
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"},
    )
    route = respx_mock.post(url__regex=ROUTE).mock(
        side_effect=[httpx.Response(429, json=quota), httpx.Response(200, json=answer(image_part()))]
    )

    image = provider(http).generate(REQUEST)

    assert image.data == PNG
    assert route.call_count == 2
    assert clock.sleeps == [37.0]


def test_a_rate_limit_asking_for_more_than_the_budget_gives_up_at_once(
    respx_mock: respx.MockRouter, http: ProviderHttp, clock: FakeClock
) -> None:
    daily = rpc_error(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for requests per day",
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3600s"},
    )
    route = respx_mock.post(url__regex=ROUTE).respond(429, json=daily)

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert route.call_count == 1
    assert clock.sleeps == []
    assert caught.value.retryable is True
    assert "Gemini is rate limiting requests (429 RESOURCE_EXHAUSTED" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "rpc_status", "phrase"),
    [
        (503, "UNAVAILABLE", "Gemini is overloaded"),
        (500, "INTERNAL", "Gemini had an internal error"),
        (504, "DEADLINE_EXCEEDED", "Gemini timed out on its side"),
    ],
)
def test_an_outage_is_retried_then_reported_as_retryable(
    respx_mock: respx.MockRouter,
    http: ProviderHttp,
    clock: FakeClock,
    status: int,
    rpc_status: str,
    phrase: str,
) -> None:
    message = "The model is overloaded. Please try again later."
    route = respx_mock.post(url__regex=ROUTE).respond(status, json=rpc_error(status, rpc_status, message))

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert route.call_count == 4
    assert len(clock.sleeps) == 3
    assert caught.value.retryable is True
    assert str(caught.value) == f"{phrase} ({status} {rpc_status}: {message}) after 4 attempts"


def test_an_overload_that_passes_returns_the_image(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    overloaded = httpx.Response(503, json=rpc_error(503, "UNAVAILABLE", "The model is overloaded."))
    respx_mock.post(url__regex=ROUTE).mock(
        side_effect=[overloaded, overloaded, httpx.Response(200, json=answer(image_part()))]
    )

    assert provider(http).generate(REQUEST).data == PNG


def test_a_timeout_is_retried_and_the_image_returned(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    route = respx_mock.post(url__regex=ROUTE).mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json=answer(image_part()))]
    )

    assert provider(http).generate(REQUEST).data == PNG
    assert route.call_count == 2


def test_a_model_that_keeps_timing_out_fails_retryably(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    route = respx_mock.post(url__regex=ROUTE).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert route.call_count == 4
    assert caught.value.retryable is True
    assert str(caught.value) == "Gemini did not answer within 120 s after 4 attempts"


# --- errors that are not retried ----------------------------------------------------------------


def test_an_invalid_key_in_an_array_wrapped_envelope_is_reported_not_retried(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    body = [
        rpc_error(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"},
        )
    ]
    route = respx_mock.post(url__regex=ROUTE).respond(400, json=body)

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert route.call_count == 1
    assert caught.value.retryable is False
    assert str(caught.value) == (
        "Gemini rejected the request (400 INVALID_ARGUMENT: API key not valid. Please pass a valid API key.)"
    )


@pytest.mark.parametrize(
    ("status", "rpc_status"), [(403, "PERMISSION_DENIED"), (404, "NOT_FOUND"), (400, "FAILED_PRECONDITION")]
)
def test_permission_and_unknown_model_errors_are_not_retried(
    respx_mock: respx.MockRouter, http: ProviderHttp, status: int, rpc_status: str
) -> None:
    route = respx_mock.post(url__regex=ROUTE).respond(status, json=rpc_error(status, rpc_status, "Nope."))

    with pytest.raises(ProviderError, match=rf"\({status} {rpc_status}: Nope\.\)$") as caught:
        provider(http).generate(REQUEST)

    assert route.call_count == 1
    assert caught.value.retryable is False


def test_an_error_without_an_envelope_still_names_the_status(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    respx_mock.post(url__regex=ROUTE).respond(401, text="Unauthorized")

    with pytest.raises(ProviderError, match=r"^Gemini rejected the request \(401\)$"):
        provider(http).generate(REQUEST)
