"""Provider HTTP: bounded retries with backoff, server-requested delays, the time budget, fetch checks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import respx
from provider_fakes import FakeClock, MakeHttp

from galleria.providers.base import ProviderError
from galleria.providers.transport import (
    ApiProfile,
    ProviderHttp,
    check_fetch_url,
    header_delay,
    shared_http,
)

URL = "https://api.example.test/v1/make"
API = ApiProfile(name="Example", describe=lambda response: f"{response.status_code} {response.text}".strip())


def send(http: ProviderHttp, *, retry_server_errors: bool = True) -> httpx.Response:
    return http.send(
        "POST",
        URL,
        api=API,
        read_timeout=30.0,
        json={"prompt": "a fox"},
        retry_server_errors=retry_server_errors,
    )


# --- retries and backoff ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_a_transient_failure_is_retried_and_the_success_returned(
    respx_mock: respx.MockRouter, http: ProviderHttp, status: int
) -> None:
    route = respx_mock.post(URL).mock(side_effect=[httpx.Response(status), httpx.Response(200, json={})])

    response = send(http)

    assert response.status_code == 200
    assert route.call_count == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_client_error_is_returned_at_once_for_the_provider_to_explain(
    respx_mock: respx.MockRouter, http: ProviderHttp, status: int
) -> None:
    route = respx_mock.post(URL).respond(status)

    assert send(http).status_code == status
    assert route.call_count == 1


def test_backoff_doubles_from_half_a_second_and_is_capped_at_eight(
    respx_mock: respx.MockRouter, make_http: MakeHttp, clock: FakeClock
) -> None:
    route = respx_mock.post(URL).respond(503, text="overloaded")

    with pytest.raises(ProviderError) as caught:
        send(make_http(max_retries=6))

    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert route.call_count == 7
    assert caught.value.retryable is True
    assert str(caught.value) == "Example is overloaded (503 overloaded) after 7 attempts"


def test_backoff_uses_full_jitter(respx_mock: respx.MockRouter, clock: FakeClock) -> None:
    respx_mock.post(URL).mock(side_effect=[httpx.Response(500), httpx.Response(500), httpx.Response(200)])
    http = ProviderHttp(
        max_retries=3, budget_seconds=60, sleep=clock.sleep, clock=clock.monotonic, jitter=lambda: 0.25
    )

    send(http)

    assert clock.sleeps == [0.125, 0.25]


def test_after_the_last_retry_the_failure_is_retryable_and_names_the_attempts(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    route = respx_mock.post(URL).respond(500)

    with pytest.raises(ProviderError) as caught:
        send(http)

    assert route.call_count == 4
    assert caught.value.retryable is True
    assert "Example had an internal error" in str(caught.value)
    assert "after 4 attempts" in str(caught.value)


def test_timeouts_and_dropped_connections_are_retried(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    route = respx_mock.post(URL).mock(
        side_effect=[
            httpx.ReadTimeout("slow"),
            httpx.ConnectError("refused"),
            httpx.RemoteProtocolError("reset"),
            httpx.Response(200),
        ]
    )

    assert send(http).status_code == 200
    assert route.call_count == 4


def test_a_provider_that_keeps_timing_out_gives_a_retryable_error(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    respx_mock.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderError) as caught:
        send(http)

    assert caught.value.retryable is True
    assert str(caught.value) == "Example did not answer within 30 s after 4 attempts"


def test_an_unusable_url_is_not_retried(http: ProviderHttp) -> None:
    with pytest.raises(ProviderError) as caught:
        http.send("GET", "ftp://api.example.test/file", api=API, read_timeout=5)

    assert caught.value.retryable is False
    assert "Example could not be called" in str(caught.value)


# --- requests that create billed jobs -----------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_without_server_error_retries_a_5xx_is_returned_untouched(
    respx_mock: respx.MockRouter, http: ProviderHttp, status: int
) -> None:
    route = respx_mock.post(URL).respond(status)

    assert send(http, retry_server_errors=False).status_code == status
    assert route.call_count == 1


def test_without_server_error_retries_a_timeout_is_not_repeated(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    route = respx_mock.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderError) as caught:
        send(http, retry_server_errors=False)

    assert route.call_count == 1
    assert caught.value.retryable is False
    assert "may already have accepted it" in str(caught.value)


def test_without_server_error_retries_429_and_connect_failures_are_still_retried(
    respx_mock: respx.MockRouter, http: ProviderHttp
) -> None:
    route = respx_mock.post(URL).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(429), httpx.Response(200)]
    )

    assert send(http, retry_server_errors=False).status_code == 200
    assert route.call_count == 3


# --- server-requested delays --------------------------------------------------------------------


def test_a_retry_after_in_seconds_replaces_the_backoff(
    respx_mock: respx.MockRouter, http: ProviderHttp, clock: FakeClock
) -> None:
    respx_mock.post(URL).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)]
    )

    send(http)

    assert clock.sleeps == [7.0]


def test_a_provider_hook_supplies_its_own_delay(
    respx_mock: respx.MockRouter, http: ProviderHttp, clock: FakeClock
) -> None:
    api = ApiProfile(name="Example", describe=str, server_delay=lambda response: 12.5)
    respx_mock.post(URL).mock(side_effect=[httpx.Response(503), httpx.Response(200)])

    http.send("POST", URL, api=api, read_timeout=30)

    assert clock.sleeps == [12.5]


def test_a_provider_hook_can_veto_a_retry(respx_mock: respx.MockRouter, http: ProviderHttp) -> None:
    api = ApiProfile(name="Example", describe=str, should_retry=lambda response: False)
    route = respx_mock.post(URL).respond(503)

    assert http.send("POST", URL, api=api, read_timeout=30).status_code == 503
    assert route.call_count == 1


def test_retry_after_may_be_an_http_date() -> None:
    response = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"})

    assert header_delay(response, now=lambda: 1445412500.0) == 10.0


def test_retry_after_ms_is_preferred_and_past_dates_mean_no_wait() -> None:
    both = httpx.Response(429, headers={"retry-after-ms": "1500", "retry-after": "2"})
    past = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    garbage = httpx.Response(429, headers={"Retry-After": "soon"})

    assert header_delay(both) == 1.5
    assert header_delay(past) == 0.0
    assert header_delay(garbage) is None
    assert header_delay(httpx.Response(429)) is None


# --- the time budget ----------------------------------------------------------------------------


def test_a_requested_delay_past_the_budget_gives_up_without_sleeping(
    respx_mock: respx.MockRouter, http: ProviderHttp, clock: FakeClock
) -> None:
    route = respx_mock.post(URL).respond(429, headers={"Retry-After": "300"})

    with pytest.raises(ProviderError) as caught:
        send(http)

    assert route.call_count == 1
    assert clock.sleeps == []
    assert caught.value.retryable is True
    assert "would pass the 240 s time budget" in str(caught.value)


def test_no_attempt_starts_once_a_slow_answer_used_up_the_budget(
    respx_mock: respx.MockRouter, make_http: MakeHttp, clock: FakeClock
) -> None:
    def slow_failure(request: httpx.Request) -> httpx.Response:
        clock.advance(9.8)
        return httpx.Response(503)

    route = respx_mock.post(URL).mock(side_effect=slow_failure)

    with pytest.raises(ProviderError) as caught:
        send(make_http(budget_seconds=10))

    assert route.call_count == 1
    assert clock.sleeps == []
    assert caught.value.retryable is True


def test_each_attempt_waits_no_longer_than_the_budget_left(
    respx_mock: respx.MockRouter, make_http: MakeHttp, clock: FakeClock
) -> None:
    read_timeouts: list[float] = []

    def record(request: httpx.Request) -> httpx.Response:
        read_timeouts.append(request.extensions["timeout"]["read"])
        clock.advance(20)
        return httpx.Response(503)

    respx_mock.post(URL).mock(side_effect=record)

    with pytest.raises(ProviderError):
        send(make_http(budget_seconds=45))

    assert read_timeouts == [30.0, 24.5, 3.5]


def test_a_budget_spent_before_the_first_attempt_sends_nothing(
    respx_mock: respx.MockRouter, make_http: MakeHttp
) -> None:
    route = respx_mock.post(URL).respond(200)
    http = make_http(budget_seconds=0)

    with pytest.raises(ProviderError) as caught:
        send(http)

    assert route.call_count == 0
    assert str(caught.value) == "Example did not finish within the 0 s time budget"
    assert caught.value.retryable is True


# --- the client ---------------------------------------------------------------------------------


def test_one_client_serves_every_call_and_thread() -> None:
    http = ProviderHttp(max_retries=0, budget_seconds=1)

    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = set(map(id, pool.map(lambda _: http.client, range(32))))

    assert len(clients) == 1


def test_providers_share_one_http_by_default() -> None:
    assert shared_http() is shared_http()


def test_an_injected_transport_receives_the_requests(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    http = ProviderHttp(transport=httpx.MockTransport(handler), sleep=clock.sleep, clock=clock.monotonic)

    assert send(http).json() == {"ok": True}
    assert [request.url for request in seen] == [httpx.URL(URL)]


# --- fetching URLs a provider hands back --------------------------------------------------------

BASE = "https://api.bfl.ai"
DOMAINS = ("bfl.ai", "bfl.ml")


@pytest.mark.parametrize(
    ("url", "base_url"),
    [
        ("https://api.bfl.ai/v1/get_result?id=1", BASE),
        ("https://api.us1.bfl.ai/v1/get_result?id=1", BASE),
        ("https://delivery-eu1.bfl.ai/results/sample.png?sig=x", BASE),
        ("https://bfl.ml/sample.png", BASE),
        ("http://127.0.0.1:8123/v1/get_result?id=1", "http://127.0.0.1:8123"),
        ("https://provider.example.test/v1/x", "https://provider.example.test"),
    ],
)
def test_links_to_the_provider_or_its_configured_host_are_fetched(url: str, base_url: str) -> None:
    assert check_fetch_url(url, base_url=base_url, domains=DOMAINS, name="BFL") == url


@pytest.mark.parametrize(
    ("url", "base_url"),
    [
        ("http://169.254.169.254/latest/meta-data/", BASE),
        ("http://api.bfl.ai/v1/get_result?id=1", BASE),
        ("https://evilbfl.ai/sample.png", BASE),
        ("https://api.bfl.ai.attacker.test/sample.png", BASE),
        ("https://api.bfl.ai@attacker.test/sample.png", BASE),
        ("http://127.0.0.1:9999/admin", "http://127.0.0.1:8123"),
        ("http://localhost:8123/v1/x", "http://127.0.0.1:8123"),
        ("file:///etc/passwd", BASE),
        ("not a url", BASE),
    ],
)
def test_links_anywhere_else_are_refused(url: str, base_url: str) -> None:
    with pytest.raises(ProviderError) as caught:
        check_fetch_url(url, base_url=base_url, domains=DOMAINS, name="BFL")

    assert caught.value.retryable is False
    assert str(caught.value).startswith("BFL sent a link")
