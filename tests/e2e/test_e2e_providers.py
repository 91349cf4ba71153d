"""Cloud models over real HTTP: the API, the queue, the worker's provider clients and the local
stack's emulators of the Gemini, OpenAI and BFL APIs — success, source images, and failures."""

from __future__ import annotations

import base64
import io
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from PIL import Image

pytestmark = pytest.mark.e2e

CLOUD_MODELS = {
    "google/gemini-2.5-flash-image": "google",
    "google/gemini-3.1-flash-image-preview": "google",
    "google/gemini-3-pro-image": "google",
    "openai/gpt-5-nano": "openai",
    "bfl/flux-kontext-max": "bfl",
}


def _curl(base_url: str, key: str, data: str) -> tuple[int, dict]:
    """The seeds' curl, verbatim but for host and key."""
    result = subprocess.run(
        [
            "curl", "-s", "-X", "POST", f"{base_url}/api/v1/generate-image",
            "-H", f"Authorization: Bearer {key}",
            "-H", "Content-Type: application/json",
            "-d", data,
            "-w", "\n%{http_code}",
        ],
        capture_output=True, text=True, check=True, timeout=90,
    )  # fmt: skip
    body, status = result.stdout.rsplit("\n", 1)
    return int(status), json.loads(body)


SEED_001_GENERATE = """{
"prompt": "A serene mountain landscape at sunset",
"model": "google/gemini-2.5-flash-image",
"aspectRatio": "1:1",
"numImages": 1
}"""
SEED_001_BATCH = """{
"prompt": "Cyberpunk cityscape at night",
"model": "google/gemini-2.5-flash-image",
"numImages": 4,
"aspectRatio": "16:9"
}"""
SEED_004_GENERATE = """{
"prompt": "A futuristic cityscape at sunset, cyberpunk style",
"model": "google/gemini-2.5-flash-image",
"aspectRatio": "16:9",
"numImages": 1
}"""


@pytest.mark.parametrize(
    ("data", "count", "size"),
    [
        (SEED_001_GENERATE, 1, (1024, 1024)),
        (SEED_001_BATCH, 4, (1344, 768)),
        (SEED_004_GENERATE, 1, (1344, 768)),
    ],
    ids=["seed-001-generate", "seed-001-batch", "seed-004-generate"],
)
def test_the_seed_curls_work_verbatim_on_the_emulated_gemini(
    make_team, local_stack, data, count, size
) -> None:
    team = make_team()
    status, body = _curl(local_stack.base_url, team.key, data)

    assert status == 200, body
    assert body["numImages"] == count and len(body["images"]) == count
    for image in body["images"]:
        assert image["text"]  # Gemini's text part comes back as `text`
        downloaded = httpx.get(image["url"], follow_redirects=True, timeout=30)
        assert Image.open(io.BytesIO(downloaded.content)).size == size
    item = team.client.get(f"/api/v1/gallery/{body['images'][0]['galleryId']}").json()
    assert item["generation"]["provider"] == "google-emulator"
    assert item["generation"]["modelVersion"] == "gemini-2.5-flash-image"


@pytest.mark.parametrize("model", sorted(CLOUD_MODELS))
def test_every_cloud_model_generates_through_its_emulator(make_team, model) -> None:
    team = make_team()
    response = team.client.post(
        "/api/v1/generate-image",
        json={"prompt": "A red fox in the snow", "model": model, "aspectRatio": "3:4"},
    )

    assert response.status_code == 200, response.text
    image = response.json()["images"][0]
    picture = Image.open(io.BytesIO(httpx.get(image["url"], follow_redirects=True, timeout=30).content))
    assert picture.height > picture.width  # a portrait ratio reached the provider
    item = team.client.get(f"/api/v1/gallery/{image['galleryId']}").json()
    generation = item["generation"]
    assert generation["provider"] == f"{CLOUD_MODELS[model]}-emulator"
    assert generation["providerRequestId"]
    assert generation["request"]["model"] == model
    assert generation["reproducible"] is (model == "bfl/flux-kontext-max")
    assert team.client.get("/api/v1/account").json()["credits"] == 1000 - 5


def _png_data_url(colour: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 64), colour).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _requests_seen(emulator: str) -> list[dict]:
    return list(httpx.get(f"{emulator}/__emulator/requests", timeout=10).json()["requests"])


@pytest.mark.parametrize(
    "model", ["google/gemini-2.5-flash-image", "openai/gpt-5-nano", "bfl/flux-kontext-max"]
)
def test_a_source_image_reaches_the_provider(make_team, local_stack, model) -> None:
    team = make_team()
    emulator = local_stack.emulators[CLOUD_MODELS[model]]
    before = len(_requests_seen(emulator))
    response = team.client.post(
        "/api/v1/generate-image",
        json={
            "prompt": "Transform this into a watercolor painting",
            "sourceImage": _png_data_url((10, 120, 200)),
            "model": model,
        },
    )
    assert response.status_code == 200, response.text
    sent = json.dumps(_requests_seen(emulator)[before:])
    assert {"google": "inlineData", "openai": "input_image", "bfl": "input_image"}[
        CLOUD_MODELS[model]
    ] in sent


def _fault(local_stack, provider: str, fault: str, count: int = 1, **extra) -> None:
    response = httpx.post(
        f"{local_stack.emulators[provider]}/__emulator/faults",
        json={"fault": fault, "count": count, **extra},
        timeout=10,
    )
    assert response.status_code < 300, response.text


@pytest.fixture
def clear_faults(local_stack):
    yield
    for emulator in local_stack.emulators.values():
        httpx.delete(f"{emulator}/__emulator/faults", timeout=10)


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("google", "google/gemini-2.5-flash-image"),
        ("openai", "openai/gpt-5-nano"),
        ("bfl", "bfl/flux-kontext-max"),
    ],
)
def test_a_rate_limited_provider_is_retried_and_succeeds(
    make_team, local_stack, clear_faults, provider, model
):
    team = make_team()
    _fault(local_stack, provider, "rate_limit")
    response = team.client.post("/api/v1/generate-image", json={"prompt": "A quiet harbour", "model": model})
    assert response.status_code == 200, response.text
    assert team.client.get("/api/v1/account").json()["credits"] == 1000 - 5


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("google", "google/gemini-2.5-flash-image"),
        ("openai", "openai/gpt-5-nano"),
        ("bfl", "bfl/flux-kontext-max"),
    ],
)
def test_a_safety_block_answers_400_content_policy_and_refunds(
    make_team, local_stack, clear_faults, provider, model
):
    team = make_team()
    _fault(local_stack, provider, "safety")
    response = team.client.post(
        "/api/v1/generate-image", json={"prompt": "Something forbidden", "model": model}
    )

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "content_policy" and "refunded" in body["error"]
    assert team.client.get("/api/v1/account").json()["credits"] == 1000
    job = team.client.get(f"/api/v1/jobs/{body['jobId']}").json()
    assert job["status"] == "failed" and job["error"]["code"] == "content_policy"


def test_a_provider_that_keeps_failing_answers_502_and_refunds(make_team, local_stack, clear_faults) -> None:
    team = make_team()
    _fault(local_stack, "openai", "server_error", count=100)
    response = team.client.post(
        "/api/v1/generate-image", json={"prompt": "A quiet harbour", "model": "openai/gpt-5-nano"}
    )
    if response.status_code == 202:  # the queue's retries outlasted the sync wait: the job shows it
        job_id = response.json()["jobId"]
        job = _wait_for_job(team.client, job_id)
        assert job["status"] == "failed" and job["error"]["code"] == "generation_failed"
    else:
        assert response.status_code == 502, response.text
        assert response.json()["code"] == "generation_failed"
    assert team.client.get("/api/v1/account").json()["credits"] == 1000


def test_a_provider_timeout_is_retried_and_succeeds(make_team, local_stack, clear_faults) -> None:
    team = make_team()
    _fault(local_stack, "google", "timeout", delaySeconds=12)
    response = team.client.post(
        "/api/v1/generate-image", json={"prompt": "A quiet harbour", "model": "google/gemini-2.5-flash-image"}
    )
    job = (
        response.json()
        if response.status_code == 200
        else _wait_for_job(team.client, response.json()["jobId"])
    )
    assert response.status_code == 200 or job["status"] == "succeeded", response.text
    assert team.client.get("/api/v1/account").json()["credits"] == 1000 - 5


def _wait_for_job(client: httpx.Client, job_id: str, timeout: float = 60.0) -> dict:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            return dict(job)
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish")


def test_parallel_requests_never_overspend_the_balance(make_team) -> None:
    team = make_team(credits=50)  # enough for 10 images at 5 credits

    def generate(_: int) -> int:
        body = {"prompt": "A lighthouse", "model": "local/procedural", "async": True}
        return team.client.post("/api/v1/generate-image", json=body).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(generate, range(20)))

    assert sorted(statuses) == [202] * 10 + [402] * 10
    assert team.client.get("/api/v1/account").json()["credits"] == 0


def test_the_seed_error_table(make_team) -> None:
    """Seed 001's error table, each row with its status and the {"error", "code"} shape."""
    team = make_team(plan="free", credits=10)
    rows = {
        "invalid prompt": (
            team.client.post("/api/v1/generate-image", json={"prompt": "   "}),
            400,
            "invalid_prompt",
        ),
        "invalid model": (
            team.client.post("/api/v1/generate-image", json={"prompt": "x", "model": "acme/dream"}),
            400,
            "invalid_model",
        ),
        "insufficient credits": (
            team.client.post("/api/v1/generate-image", json={"prompt": "x", "numImages": 3, "async": True}),
            402,
            "insufficient_credits",
        ),
    }
    for _ in range(9):  # the free plan's 10 requests per minute, one already spent on the 402
        team.client.post("/api/v1/generate-image", json={"prompt": "x", "dryRun": False, "async": True})
    rows["rate limited"] = (
        team.client.post("/api/v1/generate-image", json={"prompt": "x", "async": True}),
        429,
        "rate_limited",
    )
    for name, (response, status, code) in rows.items():
        assert response.status_code == status, (name, response.text)
        body = response.json()
        assert body["code"] == code and isinstance(body["error"], str) and body["error"], name
    assert (
        rows["insufficient credits"][0].json() | {"required": 15, "balance": 10}
        == rows["insufficient credits"][0].json()
    )
    assert int(rows["rate limited"][0].headers["retry-after"]) >= 1
