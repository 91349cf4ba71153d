"""What every emulator shares: the control endpoints, the request log, starting and stopping."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from galleria_local.emulators import FAULT_KINDS, GeminiEmulator
from galleria_local.emulators.server import Fault, FaultQueue, Request, RequestLog

GENERATE = "/v1beta/models/gemini-2.5-flash-image:generateContent"
TEXT_ONLY = {
    "contents": [{"parts": [{"text": "a fox"}]}],
    "generationConfig": {"responseModalities": ["TEXT"]},
}


@pytest.fixture
def emulator() -> Iterator[GeminiEmulator]:
    with GeminiEmulator(api_key="test-key") as running:
        yield running


@pytest.fixture
def client(emulator: GeminiEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, timeout=10) as http:
        yield http


def test_it_listens_on_loopback_with_an_ephemeral_port(emulator: GeminiEmulator) -> None:
    assert emulator.base_url.startswith("http://127.0.0.1:")
    assert not emulator.base_url.endswith(":0")


def test_a_generated_key_is_random() -> None:
    assert GeminiEmulator().api_key != GeminiEmulator().api_key


def test_faults_are_queued_listed_and_cleared_over_http(client: httpx.Client) -> None:
    client.post("/__emulator/faults", json={"fault": "rate_limit", "count": 2}).raise_for_status()
    queued = client.post("/__emulator/faults", json={"fault": "timeout", "delaySeconds": 0.1})

    assert queued.json()["faults"] == [
        {"fault": "rate_limit", "count": 2, "delaySeconds": 30.0},
        {"fault": "timeout", "count": 1, "delaySeconds": 0.1},
    ]
    assert client.delete("/__emulator/faults").json() == {"faults": []}
    assert client.get("/__emulator/faults").json() == {"faults": []}


@pytest.mark.parametrize(
    "body",
    [
        {"fault": "explode"},
        {"fault": "rate_limit", "count": 0},
        {"fault": "rate_limit", "count": "2"},
        {"fault": "timeout", "delaySeconds": -1},
        ["rate_limit"],
    ],
)
def test_a_bad_fault_is_a_400(client: httpx.Client, body: object) -> None:
    response = client.post("/__emulator/faults", json=body)

    assert response.status_code == 400
    assert client.get("/__emulator/faults").json() == {"faults": []}


def test_an_unknown_control_endpoint_is_a_404(client: httpx.Client) -> None:
    assert client.get("/__emulator/nothing").status_code == 404


def test_the_request_log_redacts_keys_and_skips_control_requests(client: httpx.Client) -> None:
    client.post(GENERATE, json=TEXT_ONLY, headers={"x-goog-api-key": "test-key", "x-trace": "abc"})
    client.post(GENERATE, json=TEXT_ONLY, headers={"x-goog-api-key": "wrong"})

    requests = client.get("/__emulator/requests").json()["requests"]

    assert [entry["status"] for entry in requests] == [200, 400]
    first = requests[0]
    assert first["method"] == "POST"
    assert first["path"] == GENERATE
    assert first["headers"]["x-goog-api-key"] == "<redacted>"
    assert first["headers"]["x-trace"] == "abc"
    assert first["body"] == TEXT_ONLY
    assert client.delete("/__emulator/requests").json() == {"requests": []}
    assert client.get("/__emulator/requests").json() == {"requests": []}


def test_the_log_elides_long_base64_but_keeps_long_prompts() -> None:
    log = RequestLog()
    prompt = "a very long prompt " * 40
    body = {"prompt": prompt, "image": "QUJD" * 100, "short": "QUJD", "url": "data:image/png;base64,QUJD"}
    request = Request("POST", "/x", {}, {}, json.dumps(body).encode())

    log.record(request, 200)

    logged = log.entries()[0]["body"]
    assert logged == {
        "prompt": prompt,
        "image": "<base64: 400 chars>",
        "short": "QUJD",
        "url": "<base64: 26 chars>",
    }


def test_the_log_keeps_the_latest_entries() -> None:
    log = RequestLog(size=2)
    for path in ("/a", "/b", "/c"):
        log.record(Request("GET", path, {}, {}, b""), 200)

    assert [entry["path"] for entry in log.entries()] == ["/b", "/c"]


def test_queued_faults_are_consumed_in_order() -> None:
    queue = FaultQueue()
    queue.push(Fault("safety"), 2)
    queue.push(Fault("malformed"))

    assert [getattr(queue.take(), "kind", None) for _ in range(4)] == ["safety", "safety", "malformed", None]
    with pytest.raises(ValueError, match="unknown fault"):
        queue.push(Fault("nope"))
    assert set(FAULT_KINDS) == {"rate_limit", "server_error", "timeout", "safety", "malformed", "no_image"}


def test_stop_wakes_a_request_sleeping_in_a_timeout_fault(emulator: GeminiEmulator) -> None:
    emulator.inject("timeout", delay_seconds=60)
    done = threading.Event()

    def call() -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(
                emulator.url(GENERATE), json=TEXT_ONLY, headers={"x-goog-api-key": "test-key"}, timeout=30
            )
        done.set()

    threading.Thread(target=call, daemon=True).start()
    deadline = time.monotonic() + 5
    while emulator.faults.pending() and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    emulator.stop()

    assert done.wait(5)
    assert time.monotonic() - started < 5
    emulator.stop()  # twice is fine
    with pytest.raises(RuntimeError):
        _ = emulator.base_url


def test_requests_are_served_concurrently(emulator: GeminiEmulator) -> None:
    emulator.inject("timeout", delay_seconds=0.5)
    results: list[int] = []

    def call() -> None:
        response = httpx.post(emulator.url(GENERATE), json=TEXT_ONLY, headers={"x-goog-api-key": "test-key"})
        results.append(response.status_code)

    slow = threading.Thread(target=call)
    slow.start()
    time.sleep(0.1)
    started = time.monotonic()
    call()
    fast_seconds = time.monotonic() - started
    slow.join()

    assert fast_seconds < 0.4
    assert results == [200, 200]


def test_a_chunked_body_is_refused_with_411(emulator: GeminiEmulator) -> None:
    response = httpx.post(
        emulator.url(GENERATE), content=iter([b"{}"]), headers={"x-goog-api-key": "test-key"}
    )

    assert response.status_code == 411
