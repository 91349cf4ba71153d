"""OpenAI's Responses API with the image_generation tool: request shape, parsing, safety, retries."""

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
from galleria.providers.openai_responses import OpenAIResponsesProvider
from galleria.providers.prompts import styled_prompt
from galleria.providers.transport import ProviderHttp

BASE_URL = "https://api.openai.com"
URL = f"{BASE_URL}/v1/responses"
REQUEST = ProviderRequest(
    prompt="Draw a red fox in watercolor", aspect_ratio="1:1", style_preset="none", seed=3
)

REASONING = {"type": "reasoning", "id": "rs_1", "summary": []}
IMAGE_CALL = {
    "type": "image_generation_call",
    "id": "ig_683716a8",
    "status": "completed",
    "result": PNG_B64,
    "revised_prompt": "A watercolor painting of a red fox",
    "background": "opaque",
    "output_format": "png",
    "quality": "low",
    "size": "1024x1024",
}
MESSAGE = {
    "type": "message",
    "id": "msg_1",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "Here is your fox.", "annotations": []}],
}


def provider(http: ProviderHttp) -> OpenAIResponsesProvider:
    return OpenAIResponsesProvider("gpt-5-nano", endpoint(BASE_URL, "openai"), http=http)


def response(*output: dict[str, Any], status: str = "completed", **extra: Any) -> dict[str, Any]:
    return {
        "id": "resp_68abc",
        "object": "response",
        "created_at": 1750000000,
        "status": status,
        "model": "gpt-5-nano-2025-08-07",
        "output": list(output),
        "usage": {"input_tokens": 2100, "output_tokens": 120, "total_tokens": 2220},
        **extra,
    }


def api_error(message: str, type_: str, code: str | None, **extra: Any) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code, **extra}}


RATE_LIMITED = api_error("Rate limit reached for requests", "requests", "rate_limit_exceeded")


def sent_json(route: respx.Route) -> dict[str, Any]:
    return json.loads(route.calls.last.request.content)


# --- success ------------------------------------------------------------------------------------


def test_an_image_with_text_comes_back_with_the_response_id_and_model(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    respx_mock.post(URL).respond(
        200, json=response(REASONING, IMAGE_CALL, MESSAGE), headers={"x-request-id": "req_1"}
    )

    image = provider(http).generate(REQUEST)

    assert image.data == PNG
    assert image.data.startswith(PNG_MAGIC)
    assert image.mime_type == "image/png"
    assert image.text == "Here is your fox."
    assert image.provider == "openai"
    assert image.model_version == "gpt-5-nano-2025-08-07"
    assert image.provider_request_id == "resp_68abc"
    assert image.seed_used is None
    assert image.reproducible is False


def test_the_request_forces_the_image_tool_with_the_key_and_size(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    route = respx_mock.post(URL).respond(200, json=response(IMAGE_CALL))

    provider(http).generate(REQUEST)

    assert route.calls.last.request.headers["authorization"] == "Bearer test-key"
    assert sent_json(route) == {
        "model": "gpt-5-nano",
        "input": "Draw a red fox in watercolor",
        "tools": [{"type": "image_generation", "size": "1024x1024", "output_format": "png"}],
        "tool_choice": {"type": "image_generation"},
    }


@pytest.mark.parametrize(
    "output",
    [
        [IMAGE_CALL, MESSAGE],
        [REASONING, MESSAGE, IMAGE_CALL],
        [MESSAGE, REASONING, IMAGE_CALL],
        [REASONING, IMAGE_CALL],
    ],
    ids=["first", "last", "after-message-and-reasoning", "no-message"],
)
def test_the_image_is_found_wherever_it_sits_in_the_output(
    respx_mock: respx.MockRouter, http: ProviderHttp, output: list[dict[str, Any]]
) -> None:
    respx_mock.post(URL).respond(200, json=response(*output))

    image = provider(http).generate(REQUEST)

    assert image.data == PNG
    assert image.text == ("Here is your fox." if MESSAGE in output else None)


def test_several_images_are_several_independent_calls(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    route = respx_mock.post(URL).mock(
        side_effect=[httpx.Response(200, json=response(IMAGE_CALL, id=f"resp_{n}")) for n in range(4)]
    )
    openai = provider(http)

    images = [openai.generate(REQUEST) for _ in range(4)]

    assert route.call_count == 4
    assert [image.provider_request_id for image in images] == ["resp_0", "resp_1", "resp_2", "resp_3"]
    assert all(image.data == PNG for image in images)


@pytest.mark.parametrize(
    ("output_format", "mime"), [("webp", "image/webp"), ("jpeg", "image/jpeg"), (None, "image/png")]
)
def test_the_mime_type_follows_the_tools_output_format(
    respx_mock: respx.MockRouter, http: ProviderHttp, output_format: str | None, mime: str
) -> None:
    respx_mock.post(URL).respond(200, json=response({**IMAGE_CALL, "output_format": output_format}))

    assert provider(http).generate(REQUEST).mime_type == mime


# --- what is sent -------------------------------------------------------------------------------


def test_a_source_image_is_sent_as_a_data_url_beside_the_prompt(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    route = respx_mock.post(URL).respond(200, json=response(IMAGE_CALL))

    provider(http).generate(replace(REQUEST, prompt="Give the fox a scarf", source_image=SOURCE_JPEG))

    data_url = f"data:image/jpeg;base64,{base64.b64encode(SOURCE_JPEG).decode()}"
    assert sent_json(route)["input"] == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Give the fox a scarf"},
                {"type": "input_image", "image_url": data_url},
            ],
        }
    ]


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("1:1", "1024x1024"),
        ("16:9", "1536x1024"),
        ("4:3", "1536x1024"),
        ("21:9", "1536x1024"),
        ("9:16", "1024x1536"),
        ("3:4", "1024x1536"),
        ("9:21", "1024x1536"),
    ],
)
def test_aspect_ratios_map_to_the_nearest_tool_size(
    respx_mock: respx.MockRouter, http: ProviderHttp, ratio: str, size: str
) -> None:
    route = respx_mock.post(URL).respond(200, json=response(IMAGE_CALL))

    provider(http).generate(replace(REQUEST, aspect_ratio=ratio))

    assert sent_json(route)["tools"][0]["size"] == size


def test_the_style_preset_is_added_to_the_prompt(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    route = respx_mock.post(URL).respond(200, json=response(IMAGE_CALL))

    provider(http).generate(replace(REQUEST, style_preset="neon-punk"))

    assert sent_json(route)["input"] == styled_prompt("Draw a red fox in watercolor", "neon-punk")
    assert "cyberpunk" in sent_json(route)["input"]


def test_the_read_timeout_is_four_minutes(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    route = respx_mock.post(URL).respond(200, json=response(IMAGE_CALL))

    provider(http).generate(REQUEST)

    assert route.calls.last.request.extensions["timeout"]["read"] == 240.0


# --- safety -------------------------------------------------------------------------------------


def test_a_moderation_block_is_a_content_policy_violation_naming_the_categories(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    blocked = api_error(
        "Your request was rejected by the safety system. safety_violations=[sexual].",
        "image_generation_user_error",
        "moderation_blocked",
        moderation_details={"moderation_stage": "output", "categories": ["sexual"]},
    )
    route = respx_mock.post(URL).respond(400, json=blocked)

    with pytest.raises(ContentPolicyViolation) as caught:
        provider(http).generate(REQUEST)

    assert route.call_count == 1
    assert str(caught.value) == "OpenAI's safety system blocked this request (sexual)"


def test_a_moderation_block_without_details_quotes_openai(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    message = "Your request was rejected by the safety system."
    respx_mock.post(URL).respond(
        400, json=api_error(message, "image_generation_user_error", "moderation_blocked")
    )

    with pytest.raises(
        ContentPolicyViolation, match=f"^OpenAI's safety system blocked this request: {message}$"
    ):
        provider(http).generate(REQUEST)


def test_a_failed_response_for_policy_reasons_is_a_content_policy_violation(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    failed = response(
        {"type": "image_generation_call", "id": "ig_1", "status": "failed", "result": None},
        status="failed",
        error={"code": "image_content_policy_violation", "message": "The image violates our content policy."},
    )
    respx_mock.post(URL).respond(200, json=failed)

    with pytest.raises(ContentPolicyViolation) as caught:
        provider(http).generate(REQUEST)

    assert (
        str(caught.value)
        == "OpenAI's safety system blocked this request: The image violates our content policy."
    )


@pytest.mark.parametrize(("code", "retryable"), [("invalid_base64_image", False), ("server_error", True)])
def test_a_failed_response_for_other_reasons_is_a_provider_error(
    respx_mock: respx.MockRouter, http: ProviderHttp, code: str, retryable: bool
) -> None:
    respx_mock.post(URL).respond(
        200, json=response(status="failed", error={"code": code, "message": "Went wrong."})
    )

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert not isinstance(caught.value, ContentPolicyViolation)
    assert caught.value.retryable is retryable
    assert str(caught.value) == f"OpenAI could not make the image ({code}: Went wrong.)"


# --- missing images and unreadable answers ------------------------------------------------------


def test_a_text_only_answer_fails_with_the_models_text(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    respx_mock.post(URL).respond(200, json=response(REASONING, MESSAGE))

    with pytest.raises(ProviderError, match=r"^OpenAI returned no image: Here is your fox\.$"):
        provider(http).generate(REQUEST)


def test_a_refusal_is_quoted_when_no_image_comes(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    refusal = {**MESSAGE, "content": [{"type": "refusal", "refusal": "I can't help with that."}]}
    respx_mock.post(URL).respond(200, json=response(refusal))

    with pytest.raises(ProviderError, match=r"^OpenAI returned no image: I can't help with that\.$"):
        provider(http).generate(REQUEST)


@pytest.mark.parametrize(
    "call",
    [
        {"type": "image_generation_call", "id": "ig_1", "status": "failed", "result": None},
        {"type": "image_generation_call", "id": "ig_1", "status": "generating", "result": None},
    ],
)
def test_an_unfinished_image_call_is_no_image(
    respx_mock: respx.MockRouter, http: ProviderHttp, call: dict[str, Any]
) -> None:
    respx_mock.post(URL).respond(200, json=response(call, status="incomplete"))

    with pytest.raises(ProviderError, match=r"^OpenAI returned no image \(response status incomplete\)$"):
        provider(http).generate(REQUEST)


def test_a_response_that_is_not_json_is_a_failure(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    respx_mock.post(URL).respond(200, text='{"id": "resp_1", "output": [')

    with pytest.raises(ProviderError, match=r"^OpenAI returned a response that could not be read$"):
        provider(http).generate(REQUEST)


# --- rate limits, quota, outages, timeouts ------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "delay"), [({"retry-after-ms": "1500"}, 1.5), ({"retry-after": "2"}, 2.0), ({}, 0.5)]
)
def test_a_rate_limit_waits_as_long_as_openai_asks(
    respx_mock: respx.MockRouter, http: ProviderHttp, clock: FakeClock, headers: dict[str, str], delay: float
) -> None:
    route = respx_mock.post(URL).mock(
        side_effect=[
            httpx.Response(429, json=RATE_LIMITED, headers=headers),
            httpx.Response(200, json=response(IMAGE_CALL)),
        ]
    )

    assert provider(http).generate(REQUEST).data == PNG
    assert route.call_count == 2
    assert clock.sleeps == [delay]


def test_a_slow_down_request_is_retried(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    slow_down = api_error("Please slow down.", "rate_limit_error", "slow_down")
    respx_mock.post(URL).mock(
        side_effect=[httpx.Response(429, json=slow_down), httpx.Response(200, json=response(IMAGE_CALL))]
    )

    assert provider(http).generate(REQUEST).data == PNG


@pytest.mark.parametrize(
    "error",
    [
        api_error("You exceeded your current quota.", "insufficient_quota", "insufficient_quota"),
        api_error("Your credit balance is too low.", "invalid_request_error", "credit_balance_exhausted"),
        api_error(
            "Monthly spend limit reached.", "invalid_request_error", "organization_spend_limit_exceeded"
        ),
    ],
)
def test_an_exhausted_quota_is_not_retried(
    respx_mock: respx.MockRouter, http: ProviderHttp, error: dict[str, Any]
) -> None:
    route = respx_mock.post(URL).respond(429, json=error)

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert route.call_count == 1
    assert caught.value.retryable is False
    assert str(caught.value).startswith("The OpenAI account has run out of quota (429 ")


def test_x_should_retry_false_stops_retries(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    route = respx_mock.post(URL).respond(
        500, json=api_error("Internal error", "server_error", None), headers={"x-should-retry": "false"}
    )

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert route.call_count == 1
    assert caught.value.retryable is False
    assert str(caught.value) == "OpenAI rejected the request (500 server_error: Internal error)"


def test_x_should_retry_true_retries_a_conflict(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    route = respx_mock.post(URL).mock(
        side_effect=[
            httpx.Response(
                409,
                json=api_error("Conflict", "invalid_request_error", None),
                headers={"x-should-retry": "true"},
            ),
            httpx.Response(200, json=response(IMAGE_CALL)),
        ]
    )

    assert provider(http).generate(REQUEST).data == PNG
    assert route.call_count == 2


def test_a_server_error_is_retried_then_reported_as_retryable(
    respx_mock: respx.MockRouter, http: ProviderHttp, clock: FakeClock
) -> None:
    route = respx_mock.post(URL).respond(
        500, json=api_error("The server had an error.", "server_error", None)
    )

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert route.call_count == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert caught.value.retryable is True
    assert str(caught.value) == (
        "OpenAI had an internal error (500 server_error: The server had an error.) after 4 attempts"
    )


def test_a_timeout_is_retried_and_the_image_returned(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    respx_mock.post(URL).mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json=response(IMAGE_CALL))]
    )

    assert provider(http).generate(REQUEST).data == PNG


def test_a_model_that_keeps_timing_out_fails_retryably(
    respx_mock: respx.MockRouter, make_http: MakeHttp
) -> None:
    route = respx_mock.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderError) as caught:
        provider(make_http(budget_seconds=600)).generate(REQUEST)

    assert route.call_count == 4
    assert caught.value.retryable is True
    assert str(caught.value) == "OpenAI did not answer within 240 s after 4 attempts"


def test_an_invalid_key_is_reported_not_retried(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    route = respx_mock.post(URL).respond(
        401, json=api_error("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
    )

    with pytest.raises(
        ProviderError, match=r"^OpenAI rejected the request \(401 invalid_api_key: Incorrect API"
    ):
        provider(http).generate(REQUEST)

    assert route.call_count == 1
