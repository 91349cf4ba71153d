"""Cloud models over real HTTP: the API, the queue, the worker's provider clients and the local
stack's emulators of the Gemini, OpenAI and BFL APIs — success, source images, and failures."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import time
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


PROVIDER_MODELS = [
    ("google", "google/gemini-2.5-flash-image"),
    ("openai", "openai/gpt-5-nano"),
    ("bfl", "bfl/flux-kontext-max"),
]


def _assert_generation_failed(response: httpx.Response) -> dict:
    """A 502 `generation_failed` in the error shape, naming the failed job."""
    assert response.status_code == 502, response.text
    body = response.json()
    assert body["code"] == "generation_failed" and "refunded" in body["error"], body
    return dict(body)


@pytest.mark.parametrize(("provider", "model"), PROVIDER_MODELS)
def test_a_provider_that_keeps_failing_answers_502_and_refunds(
    make_team, local_stack, clear_faults, provider, model
) -> None:
    # Gemini and OpenAI 500s are retried in the call and then through the queue until its last
    # delivery gives up; a BFL 500 on submit is not repeated (the job may exist), so it fails at once.
    team = make_team()
    _fault(local_stack, provider, "server_error", count=100)
    response = team.client.post("/api/v1/generate-image", json={"prompt": "A quiet harbour", "model": model})

    body = _assert_generation_failed(response)
    assert team.client.get("/api/v1/account").json()["credits"] == 1000
    job = team.client.get(f"/api/v1/jobs/{body['jobId']}").json()
    assert job["status"] == "failed" and job["error"]["code"] == "generation_failed"


@pytest.mark.parametrize(("provider", "model"), [pair for pair in PROVIDER_MODELS if pair[0] != "bfl"])
def test_a_provider_timeout_is_retried_and_succeeds(
    make_team, local_stack, clear_faults, provider, model
) -> None:
    team = make_team()
    _fault(local_stack, provider, "timeout", delaySeconds=12)
    response = team.client.post("/api/v1/generate-image", json={"prompt": "A quiet harbour", "model": model})
    job = (
        response.json()
        if response.status_code == 200
        else _wait_for_job(team.client, response.json()["jobId"])
    )
    assert response.status_code == 200 or job["status"] == "succeeded", response.text
    assert team.client.get("/api/v1/account").json()["credits"] == 1000 - 5


def test_a_bfl_submit_that_times_out_is_not_resubmitted_and_refunds(
    make_team, local_stack, clear_faults
) -> None:
    # BFL may have created (and billed) the job before the answer was lost: never submitted twice.
    team = make_team()
    emulator = local_stack.emulators["bfl"]
    before = len(_requests_seen(emulator))
    _fault(local_stack, "bfl", "timeout", delaySeconds=12)
    response = team.client.post(
        "/api/v1/generate-image", json={"prompt": "A quiet harbour", "model": "bfl/flux-kontext-max"}
    )

    body = _assert_generation_failed(response)
    assert "not repeated" in body["error"]
    assert team.client.get("/api/v1/account").json()["credits"] == 1000
    # The emulator logs a request once it has answered it: the slow submit, 2 s after the client left
    deadline = time.monotonic() + 5
    while not (submits := [r for r in _requests_seen(emulator)[before:] if r["method"] == "POST"]):
        assert time.monotonic() < deadline, "the submit never reached the emulator"
        time.sleep(0.2)
    time.sleep(0.5)  # room for a second submit, which must not come
    assert len([r for r in _requests_seen(emulator)[before:] if r["method"] == "POST"]) == len(submits) == 1


@pytest.mark.parametrize(("provider", "model"), PROVIDER_MODELS)
@pytest.mark.parametrize("fault", ["malformed", "no_image"])
def test_a_malformed_or_imageless_answer_is_502_and_refunded(
    make_team, local_stack, clear_faults, provider, model, fault
) -> None:
    team = make_team()
    _fault(local_stack, provider, fault)
    response = team.client.post("/api/v1/generate-image", json={"prompt": "A quiet harbour", "model": model})

    body = _assert_generation_failed(response)
    expected = "could not be read" if fault == "malformed" else {
        "google": "returned no image", "openai": "returned no image", "bfl": "sent no link"
    }[provider]  # fmt: skip
    assert expected in body["error"]
    assert team.client.get("/api/v1/account").json()["credits"] == 1000
    ledger = team.client.get("/api/v1/account/ledger").json()["entries"]
    assert [(e["kind"], e["credits"]) for e in ledger if e["jobId"] == body["jobId"]] == [
        ("refund", 5),
        ("charge", -5),
    ]


def _wait_for_job(client: httpx.Client, job_id: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            return dict(job)
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish")


def test_parallel_requests_never_overspend_the_balance(make_team) -> None:
    team = make_team(credits=50)  # enough for 10 images at 5 credits

    def generate(_: int) -> httpx.Response:
        body = {"prompt": "A lighthouse", "model": "local/procedural", "async": True}
        return team.client.post("/api/v1/generate-image", json=body)

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(generate, range(20)))

    assert sorted(r.status_code for r in responses) == [202] * 10 + [402] * 10
    assert team.client.get("/api/v1/account").json()["credits"] == 0
    # Every accepted job is made and charged: none is refunded, none runs past its reservation
    jobs = [_wait_for_job(team.client, r.json()["jobId"]) for r in responses if r.status_code == 202]
    assert [job["status"] for job in jobs] == ["succeeded"] * 10
    assert all(job["result"]["creditsCharged"] == 5 for job in jobs)
    assert team.client.get("/api/v1/account").json()["credits"] == 0


def _clear_of_a_minute_boundary(margin: float = 8.0) -> None:
    """Wait for the next minute if this one ends within ``margin`` s: the plan's rate window is a
    fixed clock minute, and requests straddling two windows would not all count against one."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.1)


def test_the_seed_error_table(make_team, local_stack, clear_faults) -> None:
    """The contract's table of generation errors, each row with its status and the {"error", "code"} shape."""
    # "500 Generation failed": the seed's own model keeps failing; the sync caller gets 502
    # generation_failed once the queue gives up, and the reserved credits come back.
    unlucky = make_team(plan="free", credits=10)
    _fault(local_stack, "google", "server_error", count=100)
    failed = unlucky.client.post(
        "/api/v1/generate-image",
        json={"prompt": "A serene mountain landscape at sunset", "model": "google/gemini-2.5-flash-image"},
    )
    assert unlucky.client.get("/api/v1/account").json()["credits"] == 10

    team = make_team(plan="free", credits=10)
    _clear_of_a_minute_boundary()
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
    rows["generation failed"] = (failed, 502, "generation_failed")
    for name, (response, status, code) in rows.items():
        assert response.status_code == status, (name, response.text)
        body = response.json()
        assert body["code"] == code and isinstance(body["error"], str) and body["error"], name
    assert (
        rows["insufficient credits"][0].json() | {"required": 15, "balance": 10}
        == rows["insufficient credits"][0].json()
    )
    assert int(rows["rate limited"][0].headers["retry-after"]) >= 1
    assert "refunded" in failed.json()["error"] and failed.json()["jobId"]
