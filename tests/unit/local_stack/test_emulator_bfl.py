"""The BFL emulator over real HTTP: submit, poll, download, its errors and its faults."""

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

from galleria_local.emulators import BflEmulator

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def emulator() -> Iterator[BflEmulator]:
    with BflEmulator() as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(emulator: BflEmulator) -> None:
    emulator.faults.clear()
    emulator.requests.clear()


@pytest.fixture(scope="module")
def client(emulator: BflEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, timeout=30) as http:
        yield http


def submit(
    client: httpx.Client, key: str | None, endpoint: str = "flux-kontext-max", **fields: Any
) -> httpx.Response:
    body = {"prompt": "Change the car color to red", **fields}
    headers = {"x-key": key} if key is not None else {}
    return client.post(f"/v1/{endpoint}", json=body, headers=headers)


def poll(client: httpx.Client, key: str, polling_url: str) -> dict[str, Any]:
    response = client.get(polling_url, headers={"x-key": key})
    assert response.status_code == 200
    return response.json()


def poll_until_done(client: httpx.Client, key: str, polling_url: str) -> dict[str, Any]:
    for _ in range(10):
        document = poll(client, key, polling_url)
        if document["status"] != "Pending":
            return document
    raise AssertionError("still pending")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_submit_poll_pending_then_ready_then_download_without_the_key(
    client: httpx.Client, emulator: BflEmulator
) -> None:
    submitted = submit(client, emulator.api_key, aspect_ratio="16:9", seed=42)

    assert submitted.status_code == 200
    task = submitted.json()
    assert set(task) == {"id", "polling_url", "cost", "input_mp", "output_mp"}
    assert task["polling_url"] == f"{emulator.base_url}/v1/get_result?id={task['id']}"
    pending = poll(client, emulator.api_key, task["polling_url"])
    assert pending["status"] == "Pending"
    assert 0 < pending["progress"] < 1
    assert pending["result"] is None
    ready = poll(client, emulator.api_key, task["polling_url"])
    assert ready["status"] == "Ready"
    assert ready["id"] == task["id"]
    assert ready["result"]["prompt"] == "Change the car color to red"
    assert ready["result"]["seed"] == 42
    sample_url = ready["result"]["sample"]
    assert sample_url.startswith(f"{emulator.base_url}/delivery/{task['id']}/sample.png?")

    sample = httpx.get(sample_url)

    assert sample.status_code == 200
    assert sample.headers["content-type"] == "image/png"
    width, height = png_size(sample.content)
    assert abs(width / height - 16 / 9) < 0.03
    assert width % 16 == 0
    assert height % 16 == 0
    assert 0.9e6 < width * height < 1.2e6
    log = emulator.requests.entries()
    assert [entry["path"] for entry in log] == [
        "/v1/flux-kontext-max",
        "/v1/get_result",
        "/v1/get_result",
        f"/delivery/{task['id']}/sample.png",
    ]
    assert "x-key" in log[1]["headers"]
    assert "x-key" not in log[-1]["headers"]


def test_the_same_seed_gives_the_same_image_and_none_a_random_one(
    client: httpx.Client, emulator: BflEmulator
) -> None:
    def image(**fields: Any) -> tuple[bytes, int]:
        task = submit(client, emulator.api_key, **fields).json()
        result = poll_until_done(client, emulator.api_key, task["polling_url"])["result"]
        return httpx.get(result["sample"]).content, result["seed"]

    first, second = image(seed=5), image(seed=5)
    third, fourth = image(), image()

    assert first == second
    assert third[0] != fourth[0]
    assert third[1] != fourth[1]


def test_jpeg_output_and_the_pro_endpoint(client: httpx.Client, emulator: BflEmulator) -> None:
    task = submit(client, emulator.api_key, "flux-kontext-pro", output_format="jpeg").json()
    result = poll_until_done(client, emulator.api_key, task["polling_url"])["result"]

    sample = httpx.get(result["sample"])

    assert task["cost"] < submit(client, emulator.api_key).json()["cost"]
    assert "/sample.jpeg?" in result["sample"]
    assert sample.headers["content-type"] == "image/jpeg"
    assert sample.content[:3] == b"\xff\xd8\xff"


def test_an_input_image_sets_the_default_ratio(client: httpx.Client, emulator: BflEmulator) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 800), (10, 120, 10)).save(buffer, "PNG")

    task = submit(client, emulator.api_key, input_image=base64.b64encode(buffer.getvalue()).decode()).json()
    result = poll_until_done(client, emulator.api_key, task["polling_url"])["result"]

    assert task["input_mp"] == 0.32
    width, height = png_size(httpx.get(result["sample"]).content)
    assert abs(height / width - 2) < 0.05


def test_a_missing_key_is_401_and_a_wrong_one_403(client: httpx.Client, emulator: BflEmulator) -> None:
    missing = submit(client, None)
    wrong = submit(client, "wrong")
    task = submit(client, emulator.api_key).json()
    poll_without_key = client.get(task["polling_url"])

    assert (missing.status_code, missing.json()) == (401, {"detail": "Not authenticated"})
    assert (wrong.status_code, wrong.json()) == (403, {"detail": "Not authenticated"})
    assert poll_without_key.status_code == 401


@pytest.mark.parametrize(
    ("fields", "field", "kind"),
    [
        ({"prompt": None}, "prompt", "missing"),
        ({"aspect_ratio": "21:8"}, "aspect_ratio", "value_error"),
        ({"aspect_ratio": "wide"}, "aspect_ratio", "value_error"),
        ({"seed": "42"}, "seed", "int_type"),
        ({"output_format": "webp"}, "output_format", "enum"),
        ({"safety_tolerance": 7}, "safety_tolerance", "value_error"),
        ({"input_image": "not base64!"}, "input_image", "value_error"),
        ({"input_image": base64.b64encode(b"not an image").decode()}, "input_image", "value_error"),
    ],
)
def test_invalid_fields_are_a_fastapi_422(
    client: httpx.Client, emulator: BflEmulator, fields: dict[str, Any], field: str, kind: str
) -> None:
    response = submit(client, emulator.api_key, **fields)

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", field]
    assert error["type"] == kind
    assert error["msg"]


@pytest.mark.parametrize("ratio", ["21:9", "9:21", "1:1", "3:7"])
def test_ratios_within_21_9_and_9_21_are_accepted(
    client: httpx.Client, emulator: BflEmulator, ratio: str
) -> None:
    assert submit(client, emulator.api_key, aspect_ratio=ratio).status_code == 200


def test_several_invalid_fields_are_all_reported(client: httpx.Client, emulator: BflEmulator) -> None:
    response = client.post("/v1/flux-kontext-max", json={"seed": 1.5}, headers={"x-key": emulator.api_key})

    assert [error["loc"][-1] for error in response.json()["detail"]] == ["prompt", "seed"]


def test_an_unknown_task_is_a_404_task_not_found(client: httpx.Client, emulator: BflEmulator) -> None:
    response = client.get("/v1/get_result", params={"id": "nope"}, headers={"x-key": emulator.api_key})

    assert response.status_code == 404
    assert response.json()["status"] == "Task not found"


def test_an_unknown_endpoint_is_a_404(client: httpx.Client, emulator: BflEmulator) -> None:
    response = client.post("/v1/flux-dev", json={"prompt": "x"}, headers={"x-key": emulator.api_key})

    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


def test_a_sample_url_expires_and_cannot_be_altered() -> None:
    with BflEmulator(sample_ttl_seconds=0.3) as emulator, httpx.Client(base_url=emulator.base_url) as client:
        task = submit(client, emulator.api_key).json()
        sample_url = poll_until_done(client, emulator.api_key, task["polling_url"])["result"]["sample"]
        tampered = httpx.get(sample_url.replace("sig=", "sig=0"))
        fresh = httpx.get(sample_url)
        time.sleep(0.4)
        expired = httpx.get(sample_url)

    assert tampered.status_code == 403
    assert fresh.status_code == 200
    assert expired.status_code == 403


def test_a_rate_limit_fault_is_a_429_with_retry_after(client: httpx.Client, emulator: BflEmulator) -> None:
    emulator.inject("rate_limit")

    response = submit(client, emulator.api_key)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert isinstance(response.json()["detail"], str)


def test_a_server_error_fault_is_a_500_on_submit(client: httpx.Client, emulator: BflEmulator) -> None:
    emulator.inject("server_error")

    response = submit(client, emulator.api_key)

    assert (response.status_code, response.json()) == (500, {"detail": "Internal Server Error"})


def test_a_safety_fault_is_request_moderated_on_the_poll(client: httpx.Client, emulator: BflEmulator) -> None:
    emulator.inject("safety")

    task = submit(client, emulator.api_key)
    document = poll_until_done(client, emulator.api_key, task.json()["polling_url"])

    assert task.status_code == 200
    assert document["status"] == "Request Moderated"
    assert document["result"] is None


def test_a_no_image_fault_is_ready_without_a_sample(client: httpx.Client, emulator: BflEmulator) -> None:
    emulator.inject("no_image")

    task = submit(client, emulator.api_key).json()
    document = poll_until_done(client, emulator.api_key, task["polling_url"])

    assert document["status"] == "Ready"
    assert "sample" not in document["result"]


def test_a_malformed_fault_is_a_200_submit_that_is_not_json(
    client: httpx.Client, emulator: BflEmulator
) -> None:
    emulator.inject("malformed")

    response = submit(client, emulator.api_key)

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_a_timeout_fault_delays_the_submit(client: httpx.Client, emulator: BflEmulator) -> None:
    emulator.inject("timeout", delay_seconds=0.5)

    started = time.monotonic()
    response = submit(client, emulator.api_key)

    assert time.monotonic() - started >= 0.5
    assert response.status_code == 200


def test_faults_are_consumed_by_submits_only_and_after_count(
    client: httpx.Client, emulator: BflEmulator
) -> None:
    client.post("/__emulator/faults", json={"fault": "server_error", "count": 2}).raise_for_status()

    first = submit(client, emulator.api_key)
    unknown_poll = client.get("/v1/get_result", params={"id": "nope"}, headers={"x-key": emulator.api_key})
    later = [submit(client, emulator.api_key).status_code for _ in range(2)]

    assert first.status_code == 500
    assert unknown_poll.status_code == 404
    assert later == [500, 200]
