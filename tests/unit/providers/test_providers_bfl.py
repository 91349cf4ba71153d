"""BFL FLUX.1 Kontext: submit, poll the returned URL, download the signed sample; safety, retries, SSRF."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import httpx
import pytest
import respx
from provider_fakes import PNG, PNG_MAGIC, SOURCE_JPEG, FakeClock, MakeHttp, endpoint

from galleria.providers.base import ContentPolicyViolation, ProviderError, ProviderRequest
from galleria.providers.bfl import BflProvider
from galleria.providers.prompts import styled_prompt
from galleria.providers.transport import ProviderHttp

BASE_URL = "https://api.bfl.ai"
SUBMIT = f"{BASE_URL}/v1/flux-kontext-max"
JOB_ID = "b9b172a8-e39c-47b2-8f1a-cb8925f3532e"
POLL = f"https://api.us1.bfl.ai/v1/get_result?id={JOB_ID}"
SAMPLE = "https://delivery-eu1.bfl.ai/results/ab/cd/sample.png?se=2026-11-21T06%3A00%3A00Z&sig=abc"
REQUEST = ProviderRequest(
    prompt="Change the car color to red", aspect_ratio="16:9", style_preset="none", seed=42
)
SUBMITTED = {"id": JOB_ID, "polling_url": POLL, "cost": 4.0, "input_mp": 1.05, "output_mp": 1.05}


def provider(http: ProviderHttp, base_url: str = BASE_URL) -> BflProvider:
    return BflProvider("flux-kontext-max", endpoint(base_url, "bfl"), http=http, poll_interval=1.0)


def poll(status: str, result: dict[str, Any] | None = None, details: Any = None) -> httpx.Response:
    body = {
        "id": JOB_ID,
        "status": status,
        "result": result,
        "progress": None,
        "details": details,
        "preview": None,
    }
    return httpx.Response(200, json=body)


def ready(sample: str = SAMPLE, **result: Any) -> httpx.Response:
    return poll("Ready", {"sample": sample, "prompt": "Change the car color to red", **result})


PENDING = poll("Pending")


def mock_job(
    respx_mock: respx.MockRouter,
    *polls: httpx.Response | httpx.TransportError,
    submitted: dict[str, Any] = SUBMITTED,
) -> tuple[respx.Route, respx.Route, respx.Route]:
    """Submit, poll and download routes for one job answering ``polls`` in turn (or raising them)."""
    submit = respx_mock.post(SUBMIT).respond(200, json=submitted)
    polling = respx_mock.get(POLL).mock(side_effect=list(polls))
    download = respx_mock.get(SAMPLE).respond(200, content=PNG, headers={"content-type": "image/png"})
    return submit, polling, download


def submitted_json(route: respx.Route, index: int = -1) -> dict[str, Any]:
    return json.loads(route.calls[index].request.content)


# --- success ------------------------------------------------------------------------------------


def test_a_job_is_polled_on_its_regional_host_until_ready_and_its_sample_downloaded(
    respx_mock: respx.MockRouter, http: ProviderHttp, clock: FakeClock
) -> None:
    submit, polling, download = mock_job(respx_mock, PENDING, PENDING, ready(seed=42))

    image = provider(http).generate(REQUEST)

    assert image.data == PNG
    assert image.data.startswith(PNG_MAGIC)
    assert image.mime_type == "image/png"
    assert image.provider == "bfl"
    assert image.model_version == "flux-kontext-max"
    assert image.provider_request_id == JOB_ID
    assert image.seed_used == 42
    assert image.reproducible is True
    assert image.text is None
    assert (submit.call_count, polling.call_count, download.call_count) == (1, 3, 1)
    assert clock.sleeps == [1.0, 1.0, 1.0]


def test_the_key_goes_to_submit_and_poll_but_never_to_the_sample_host(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    submit, polling, download = mock_job(respx_mock, PENDING, ready())

    provider(http).generate(REQUEST)

    assert submit.calls.last.request.headers["x-key"] == "test-key"
    assert all(call.request.headers["x-key"] == "test-key" for call in polling.calls)
    assert "x-key" not in download.calls.last.request.headers


def test_the_submit_body_carries_prompt_ratio_seed_format_and_tolerance(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    submit, _, _ = mock_job(respx_mock, ready())

    provider(http).generate(REQUEST)

    assert submitted_json(submit) == {
        "prompt": "Change the car color to red",
        "aspect_ratio": "16:9",
        "seed": 42,
        "output_format": "png",
        "safety_tolerance": 2,
    }


def test_a_source_image_is_sent_as_bare_base64(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    submit, _, _ = mock_job(respx_mock, ready())

    provider(http).generate(replace(REQUEST, source_image=SOURCE_JPEG))

    sent = submitted_json(submit)["input_image"]
    assert sent == base64.b64encode(SOURCE_JPEG).decode()
    assert not sent.startswith("data:")


@pytest.mark.parametrize("ratio", ["1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"])
def test_every_aspect_ratio_is_sent_exactly(
    respx_mock: respx.MockRouter, http: ProviderHttp, ratio: str
) -> None:
    submit, _, _ = mock_job(respx_mock, ready())

    provider(http).generate(replace(REQUEST, aspect_ratio=ratio))

    assert submitted_json(submit)["aspect_ratio"] == ratio


def test_the_style_preset_is_added_to_the_prompt(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    submit, _, _ = mock_job(respx_mock, ready())

    provider(http).generate(replace(REQUEST, style_preset="origami"))

    assert submitted_json(submit)["prompt"] == styled_prompt("Change the car color to red", "origami")
    assert "paper-folding" in submitted_json(submit)["prompt"]


def test_without_a_seed_none_is_sent_and_the_reported_seed_is_recorded(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    submit, _, _ = mock_job(respx_mock, ready(seed=1234))

    image = provider(http).generate(replace(REQUEST, seed=None))

    assert "seed" not in submitted_json(submit)
    assert image.seed_used == 1234
    assert image.reproducible is False


def test_the_sent_seed_is_recorded_when_bfl_does_not_echo_it(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    mock_job(respx_mock, ready())

    image = provider(http).generate(REQUEST)

    assert image.seed_used == 42
    assert image.reproducible is True


def test_several_images_are_several_jobs(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    submit, polling, download = mock_job(respx_mock, ready(seed=1), ready(seed=2), ready(seed=3))
    bfl = provider(http)

    images = [bfl.generate(replace(REQUEST, seed=n)) for n in (1, 2, 3)]

    assert [image.seed_used for image in images] == [1, 2, 3]
    assert [submitted_json(submit, n)["seed"] for n in range(3)] == [1, 2, 3]
    assert (submit.call_count, polling.call_count, download.call_count) == (3, 3, 3)


def test_without_a_polling_url_the_result_endpoint_is_polled_by_id(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    respx_mock.post(SUBMIT).respond(200, json={"id": JOB_ID})
    polling = respx_mock.get(f"{BASE_URL}/v1/get_result", params={"id": JOB_ID}).mock(
        side_effect=[PENDING, ready()]
    )
    respx_mock.get(SAMPLE).respond(200, content=PNG)

    assert provider(http).generate(REQUEST).data == PNG
    assert polling.call_count == 2


@pytest.mark.parametrize(
    ("content", "content_type", "mime"),
    [
        (PNG, "application/octet-stream", "image/png"),
        (SOURCE_JPEG, "binary/octet-stream", "image/jpeg"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "", "image/webp"),
        (b"\x00\x01unknown", "image/avif", "image/avif"),
    ],
)
def test_the_mime_type_comes_from_the_bytes_or_else_the_content_type(
    respx_mock: respx.MockRouter, http: ProviderHttp, content: bytes, content_type: str, mime: str
) -> None:
    respx_mock.post(SUBMIT).respond(200, json=SUBMITTED)
    respx_mock.get(POLL).mock(side_effect=[ready()])
    respx_mock.get(SAMPLE).respond(200, content=content, headers={"content-type": content_type})

    assert provider(http).generate(REQUEST).mime_type == mime


def test_a_download_that_is_not_an_image_is_a_failure(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    respx_mock.post(SUBMIT).respond(200, json=SUBMITTED)
    respx_mock.get(POLL).mock(side_effect=[ready()])
    respx_mock.get(SAMPLE).respond(
        200, text="<Error>AccessDenied</Error>", headers={"content-type": "text/html"}
    )

    with pytest.raises(ProviderError, match=r"^BFL's result is not an image \(content type text/html\)$"):
        provider(http).generate(REQUEST)


# --- the local emulator and foreign hosts -------------------------------------------------------


def test_an_emulator_on_loopback_http_is_polled_and_downloaded_from(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    base = "http://127.0.0.1:8123"
    respx_mock.post(f"{base}/v1/flux-kontext-max").respond(
        200, json={"id": JOB_ID, "polling_url": f"{base}/v1/get_result?id={JOB_ID}"}
    )
    respx_mock.get(f"{base}/v1/get_result?id={JOB_ID}").mock(
        side_effect=[ready(f"{base}/samples/{JOB_ID}.png")]
    )
    respx_mock.get(f"{base}/samples/{JOB_ID}.png").respond(200, content=PNG)

    assert provider(http, base).generate(REQUEST).data == PNG


@pytest.mark.parametrize(
    "polling_url",
    ["http://169.254.169.254/latest/meta-data/iam/", "https://attacker.test/v1/get_result?id=1"],
)
def test_a_polling_url_on_a_foreign_host_is_refused_unfetched(
    respx_mock: respx.MockRouter, http: ProviderHttp, polling_url: str
) -> None:
    respx_mock.post(SUBMIT).respond(200, json={"id": JOB_ID, "polling_url": polling_url})
    foreign = respx_mock.get(polling_url).respond(200, json={})

    with pytest.raises(ProviderError, match=r"^BFL sent a link to .*which is not one of its hosts") as caught:
        provider(http).generate(REQUEST)

    assert foreign.call_count == 0
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    "sample", ["http://169.254.169.254/latest/meta-data/", "http://delivery-eu1.bfl.ai/s.png"]
)
def test_a_sample_url_on_a_foreign_host_is_refused_unfetched(
    respx_mock: respx.MockRouter, http: ProviderHttp, sample: str
) -> None:
    respx_mock.post(SUBMIT).respond(200, json=SUBMITTED)
    respx_mock.get(POLL).mock(side_effect=[ready(sample)])
    foreign = respx_mock.get(sample).respond(200, content=PNG)

    with pytest.raises(ProviderError, match=r"^BFL sent a link to"):
        provider(http).generate(REQUEST)

    assert foreign.call_count == 0


# --- safety and failed jobs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "what"),
    [("Request Moderated", "the prompt or source image"), ("Content Moderated", "the generated image")],
)
def test_a_moderated_job_is_a_content_policy_violation(
    respx_mock: respx.MockRouter, http: ProviderHttp, status: str, what: str
) -> None:
    submit, polling, download = mock_job(respx_mock, PENDING, poll(status))

    with pytest.raises(ContentPolicyViolation) as caught:
        provider(http).generate(REQUEST)

    assert str(caught.value) == f"BFL's safety system blocked {what} ({status})"
    assert (submit.call_count, polling.call_count, download.call_count) == (1, 2, 0)


def test_moderation_details_are_quoted(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    mock_job(respx_mock, poll("Content Moderated", details={"Moderation Reasons": ["Derivative Works"]}))

    with pytest.raises(ContentPolicyViolation) as caught:
        provider(http).generate(REQUEST)

    assert str(caught.value) == (
        "BFL's safety system blocked the generated image (Content Moderated): "
        "Moderation Reasons: Derivative Works"
    )


@pytest.mark.parametrize("status", ["Error", "Task not found"])
def test_a_failed_job_is_a_provider_error(
    respx_mock: respx.MockRouter, http: ProviderHttp, status: str
) -> None:
    mock_job(respx_mock, poll(status))

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert not isinstance(caught.value, ContentPolicyViolation)
    assert caught.value.retryable is False
    assert str(caught.value) == f"BFL could not make the image ({status})"


def test_a_job_unknown_to_the_poll_endpoint_is_a_provider_error(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    mock_job(respx_mock, httpx.Response(404, json={"detail": "Task not found"}))

    with pytest.raises(
        ProviderError, match=r"^BFL no longer knows the job \(Task not found, 404: Task not found\)$"
    ):
        provider(http).generate(REQUEST)


def test_an_undocumented_status_is_a_provider_error(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    mock_job(respx_mock, poll("Processing"))

    with pytest.raises(ProviderError, match="does not document: 'Processing'"):
        provider(http).generate(REQUEST)


def test_ready_without_a_sample_is_a_provider_error(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    mock_job(respx_mock, poll("Ready", {"prompt": "x"}))

    with pytest.raises(ProviderError, match="no link"):
        provider(http).generate(REQUEST)


def test_an_expired_sample_link_is_reported(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    respx_mock.post(SUBMIT).respond(200, json=SUBMITTED)
    respx_mock.get(POLL).mock(side_effect=[ready()])
    respx_mock.get(SAMPLE).respond(403, text="<Error>AuthenticationFailed</Error>")

    with pytest.raises(ProviderError, match=r"^BFL's result link expired before the image was downloaded$"):
        provider(http).generate(REQUEST)


# --- submit errors: credits, rate limits, outages -----------------------------------------------


def test_an_account_out_of_credits_is_reported_not_retried(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    submit = respx_mock.post(SUBMIT).respond(402, json={"detail": "Insufficient credits"})

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert submit.call_count == 1
    assert caught.value.retryable is False
    assert "out of credits" in str(caught.value)


def test_too_many_active_tasks_waits_the_retry_after_then_submits_again(
    respx_mock: respx.MockRouter, http: ProviderHttp, clock: FakeClock
) -> None:
    submit = respx_mock.post(SUBMIT).mock(
        side_effect=[
            httpx.Response(429, json={"detail": "Too many active tasks"}, headers={"Retry-After": "3"}),
            httpx.Response(200, json=SUBMITTED),
        ]
    )
    respx_mock.get(POLL).mock(side_effect=[ready()])
    respx_mock.get(SAMPLE).respond(200, content=PNG)

    assert provider(http).generate(REQUEST).data == PNG
    assert submit.call_count == 2
    assert clock.sleeps == [3.0, 1.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_on_submit_is_not_resubmitted(
    respx_mock: respx.MockRouter, http: ProviderHttp, status: int
) -> None:
    submit = respx_mock.post(SUBMIT).respond(status, json={"detail": "Internal Server Error"})

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert submit.call_count == 1
    assert caught.value.retryable is False
    assert str(caught.value) == (
        f"BFL failed while accepting the job ({status}: Internal Server Error); "
        "it was not resubmitted because it may already exist"
    )


def test_a_timeout_on_submit_is_not_resubmitted(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    submit = respx_mock.post(SUBMIT).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert submit.call_count == 1
    assert caught.value.retryable is False


def test_a_connection_failure_on_submit_is_retried(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    submit = respx_mock.post(SUBMIT).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=SUBMITTED)]
    )
    respx_mock.get(POLL).mock(side_effect=[ready()])
    respx_mock.get(SAMPLE).respond(200, content=PNG)

    assert provider(http).generate(REQUEST).data == PNG
    assert submit.call_count == 2


def test_a_validation_error_names_the_field(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    detail = [{"loc": ["body", "aspect_ratio"], "msg": "Invalid aspect ratio", "type": "value_error"}]
    respx_mock.post(SUBMIT).respond(422, json={"detail": detail})

    with pytest.raises(
        ProviderError, match=r"^BFL rejected the request \(422: aspect_ratio: Invalid aspect ratio\)$"
    ):
        provider(http).generate(REQUEST)


def test_a_submit_answer_that_is_not_json_is_a_failure(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    respx_mock.post(SUBMIT).respond(200, text="<html>gateway</html>")

    with pytest.raises(ProviderError, match=r"^BFL returned a response that could not be read$"):
        provider(http).generate(REQUEST)


def test_a_poll_answer_that_is_not_json_is_a_failure(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    mock_job(respx_mock, httpx.Response(200, text="{not json"))

    with pytest.raises(ProviderError, match=r"^BFL returned a response that could not be read$"):
        provider(http).generate(REQUEST)


# --- polling: retries and the budget ------------------------------------------------------------


def test_poll_outages_and_timeouts_are_retried(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    _, polling, _ = mock_job(respx_mock, httpx.Response(502), httpx.ReadTimeout("slow"), PENDING, ready())

    assert provider(http).generate(REQUEST).data == PNG
    assert polling.call_count == 4


def test_a_poll_that_keeps_answering_5xx_gives_up_retryably_without_resubmitting(
    respx_mock: respx.MockRouter, http: ProviderHttp, clock: FakeClock
) -> None:
    outage = [httpx.Response(status, json={"detail": "Service Unavailable"}) for status in (500, 502, 503)]
    submit, polling, download = mock_job(respx_mock, *outage, httpx.Response(503, json={"detail": "busy"}))

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    # The outage kind the worker leaves to the queue (RetryLater), not a failure of the request
    assert caught.value.retryable is True
    assert not isinstance(caught.value, ContentPolicyViolation)
    assert str(caught.value) == "BFL is overloaded (503: busy) after 4 attempts"
    # Polling a job again is harmless; submitting it again would make (and bill) a second one
    assert (submit.call_count, polling.call_count, download.call_count) == (1, 4, 0)
    assert clock.sleeps == [1.0, 0.5, 1.0, 2.0]  # the poll interval, then backoff between polls


def test_a_poll_that_keeps_timing_out_fails_retryably(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    respx_mock.post(SUBMIT).respond(200, json=SUBMITTED)
    polling = respx_mock.get(POLL).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderError) as caught:
        provider(http).generate(REQUEST)

    assert polling.call_count == 4
    assert caught.value.retryable is True
    assert str(caught.value) == "BFL did not answer within 60 s after 4 attempts"


def test_a_job_still_pending_when_the_budget_runs_out_fails_retryably(
    respx_mock: respx.MockRouter, make_http: MakeHttp, clock: FakeClock
) -> None:
    respx_mock.post(SUBMIT).respond(200, json=SUBMITTED)
    polling = respx_mock.get(POLL).mock(return_value=PENDING)

    with pytest.raises(ProviderError) as caught:
        provider(make_http(budget_seconds=5)).generate(REQUEST)

    assert caught.value.retryable is True
    assert str(caught.value) == "BFL did not finish the image within the 5 s time budget (still Pending)"
    assert polling.call_count == 4
    assert sum(clock.sleeps) < 5
