"""What a caller sees when a provider blocks, fails for a while, or S3 fails after the provider succeeded."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from galleria.accounts.repository import AccountsRepository
from galleria.providers.base import ContentPolicyViolation, ProviderError, ProviderRequest
from galleria.providers.local_procedural import LocalProceduralProvider

GENERATE = "/api/v1/generate-image"
ASYNC = {"prompt": "A lighthouse at dawn", "model": "local/procedural", "async": True}


def _credits(team) -> int:
    return AccountsRepository().get_team(team.team_id).credits


def _use_provider(monkeypatch, provider) -> None:
    from galleria.generation import worker as worker_module

    monkeypatch.setattr(worker_module, "provider_for", lambda model: provider)


def _job(stack, team, job_id):
    return stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()


class Blocked:
    def generate(self, request):
        raise ContentPolicyViolation("The image was blocked by the safety filter (IMAGE_SAFETY)")


class Overloaded:
    def __init__(self) -> None:
        self.calls = 0

    def generate(self, request):
        self.calls += 1
        raise ProviderError("Gemini is overloaded (503 UNAVAILABLE) after 4 attempts", retryable=True)


def test_a_safety_block_fails_the_job_with_content_policy_and_refunds(stack, team, monkeypatch) -> None:
    _use_provider(monkeypatch, Blocked())
    job_id = stack.request("POST", GENERATE, key=team.key, json_body={**ASYNC, "numImages": 2}).json()[
        "jobId"
    ]
    stack.run_workers()

    job = _job(stack, team, job_id)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "content_policy"
    assert "IMAGE_SAFETY" in job["error"]["message"]
    assert _credits(team) == 1000
    kinds = [
        e["kind"] for e in stack.request("GET", "/api/v1/account/ledger", key=team.key).json()["entries"]
    ]
    assert kinds == ["refund", "charge", "grant"]


def test_the_sync_caller_gets_400_content_policy(stack, team, monkeypatch) -> None:
    from galleria.api.generation import generation_answer
    from galleria.api.links import LinkBuilder
    from galleria.errors import ContentPolicyBlocked
    from galleria.jobs.repository import JobsRepository

    _use_provider(monkeypatch, Blocked())
    job_id = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC).json()["jobId"]
    stack.run_workers()

    # What the sync path answers once the job it waited for has failed
    job = JobsRepository().find(job_id)
    assert job is not None
    with pytest.raises(ContentPolicyBlocked) as raised:
        generation_answer(job, LinkBuilder("https://testserver"))
    assert raised.value.status == 400 and raised.value.code == "content_policy"
    assert "Credits were refunded" in raised.value.message


def test_a_provider_outage_is_retried_by_the_queue_then_fails_and_refunds(stack, team, monkeypatch) -> None:
    provider = Overloaded()
    _use_provider(monkeypatch, provider)
    job_id = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC).json()["jobId"]

    # The first deliveries leave the job to the queue: still running, still charged
    for delivery in (1, 2, 3, 4):
        outcome = stack.deliver(job_id, receive_count=delivery)
        assert len(outcome["batchItemFailures"]) == 1
        assert _job(stack, team, job_id)["status"] == "running"
        assert _credits(team) == 1000 - 5

    # The last delivery gives up: failed with the provider's reason, refunded once, and the message
    # reported as failed so SQS moves it to the dead-letter queue (whose alarm shows the outage)
    assert len(stack.deliver(job_id, receive_count=5)["batchItemFailures"]) == 1
    job = _job(stack, team, job_id)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "generation_failed"
    assert "overloaded" in job["error"]["message"]
    assert _credits(team) == 1000
    assert provider.calls == 5

    # A stray redelivery changes nothing
    stack.deliver(job_id, receive_count=6)
    assert _credits(team) == 1000


def _queued_job_id(timeout: float = 10.0) -> str:
    """The job id of the next message on the generation queue (waits for a request being served)."""
    import json
    import time

    import boto3

    from galleria.config import get_settings

    sqs = boto3.client("sqs", region_name="us-east-1")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=get_settings().generation_queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=0
        ).get("Messages", [])
        if messages:
            return str(json.loads(messages[0]["Body"])["jobId"])
        time.sleep(0.05)
    raise AssertionError("no job was queued")


def test_a_sync_caller_waiting_through_an_outage_gets_502_and_a_refund(stack, team, monkeypatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from galleria.config import get_settings

    monkeypatch.setenv("SYNC_WAIT_SECONDS", "20")
    get_settings.cache_clear()
    provider = Overloaded()
    _use_provider(monkeypatch, provider)
    body = {"prompt": "A lighthouse at dawn", "model": "local/procedural"}  # no "async": the caller waits

    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(stack.request, "POST", GENERATE, key=team.key, json_body=body)
        job_id = _queued_job_id()
        # Every delivery meets the outage; the fifth, the queue's last, gives up while the caller waits
        for delivery in (1, 2, 3, 4, 5):
            stack.deliver(job_id, receive_count=delivery)
        answer = pending.result(timeout=30)

    assert answer.status == 502
    error = answer.json()
    assert error["code"] == "generation_failed" and error["jobId"] == job_id
    assert "overloaded" in error["error"] and "refunded" in error["error"]
    assert _credits(team) == 1000
    assert provider.calls == 5


def test_an_outage_that_passes_finishes_the_job_on_a_later_delivery(stack, team, monkeypatch) -> None:
    class RecoversOnSecondCall(LocalProceduralProvider):
        calls = 0

        def generate(self, request):
            RecoversOnSecondCall.calls += 1
            if RecoversOnSecondCall.calls == 1:
                raise ProviderError("rate limited", retryable=True)
            return super().generate(request)

    _use_provider(monkeypatch, RecoversOnSecondCall())
    job_id = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC).json()["jobId"]
    assert len(stack.deliver(job_id, receive_count=1)["batchItemFailures"]) == 1
    assert stack.deliver(job_id, receive_count=2) == {"batchItemFailures": []}

    job = _job(stack, team, job_id)
    assert job["status"] == "succeeded" and job["result"]["creditsCharged"] == 5
    assert _credits(team) == 1000 - 5


def test_images_made_before_an_outage_are_not_made_again(stack, team, monkeypatch) -> None:
    class SecondImageWaits(LocalProceduralProvider):
        calls: list[int] = []
        down = True

        def generate(self, request):
            SecondImageWaits.calls.append(request.seed)
            if request.seed == 101 and SecondImageWaits.down:
                raise ProviderError("timeout", retryable=True)
            return super().generate(request)

    _use_provider(monkeypatch, SecondImageWaits())
    body = {**ASYNC, "numImages": 2, "seed": 100}
    job_id = stack.request("POST", GENERATE, key=team.key, json_body=body).json()["jobId"]
    stack.deliver(job_id, receive_count=1)
    SecondImageWaits.down = False
    stack.deliver(job_id, receive_count=2)

    assert sorted(SecondImageWaits.calls) == [100, 101, 101]
    job = _job(stack, team, job_id)
    assert job["result"]["numImages"] == 2
    assert stack.request("GET", "/api/v1/gallery", key=team.key).json()["total"] == 2


def test_when_s3_fails_after_the_provider_the_image_comes_back_inline(stack, team, monkeypatch) -> None:
    from galleria.storage import MediaStorage, StorageUnavailable

    def failing_put(self, key, data, content_type):
        raise StorageUnavailable(f"Storing {key} failed: 503 SlowDown")

    with monkeypatch.context() as patch:
        patch.setattr(MediaStorage, "put", failing_put)
        job_id = stack.request("POST", GENERATE, key=team.key, json_body={**ASYNC, "seed": 3}).json()["jobId"]
        stack.run_workers()

    job = _job(stack, team, job_id)
    assert job["status"] == "succeeded"
    assert job["error"]["code"] == "storage_failed"
    image = job["result"]["images"][0]
    assert image["url"] is None and image["galleryId"] is None
    data = base64.b64decode(image["image"])
    assert Image.open(io.BytesIO(data)).size == (image["width"], image["height"]) == (1024, 1024)
    assert len(data) == image["fileSize"]
    # The same picture the provider made, byte for byte
    expected = LocalProceduralProvider().generate(
        ProviderRequest(prompt="A lighthouse at dawn", aspect_ratio="1:1", style_preset="none", seed=3)
    )
    assert data == expected.data
    assert stack.request("GET", "/api/v1/gallery", key=team.key).json()["total"] == 0


def test_a_stored_image_has_no_image_field(stack, team) -> None:
    job_id = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC).json()["jobId"]
    stack.run_workers()
    image = _job(stack, team, job_id)["result"]["images"][0]
    assert "image" not in image and image["url"]


def test_giving_up_keeps_and_charges_the_images_already_made(stack, team, monkeypatch) -> None:
    from galleria.generation import worker as worker_module

    class SecondImageCrashes(LocalProceduralProvider):
        def generate(self, request):
            if request.seed == 51:
                raise RuntimeError("bug in image two")
            return super().generate(request)

    monkeypatch.setattr(worker_module, "provider_for", lambda model: SecondImageCrashes())
    body = {**ASYNC, "numImages": 2, "seed": 50}
    job_id = stack.request("POST", GENERATE, key=team.key, json_body=body).json()["jobId"]
    assert len(stack.deliver(job_id, receive_count=1)["batchItemFailures"]) == 1

    def no_provider(model):
        raise RuntimeError("provider lookup broke")

    monkeypatch.setattr(worker_module, "provider_for", no_provider)
    assert len(stack.deliver(job_id, receive_count=5)["batchItemFailures"]) == 1  # on to the DLQ

    job = _job(stack, team, job_id)
    assert job["status"] == "succeeded" and job["result"]["numImages"] == 1
    assert job["result"]["creditsCharged"] == 5
    assert _credits(team) == 1000 - 5
    assert stack.request("GET", "/api/v1/gallery", key=team.key).json()["total"] == 1


def _failing_s3(monkeypatch) -> None:
    from galleria.storage import MediaStorage, StorageUnavailable

    def failing_put(self, key, data, content_type):
        raise StorageUnavailable(f"Storing {key} failed: 503 SlowDown")

    monkeypatch.setattr(MediaStorage, "put", failing_put)


def test_inline_images_stop_at_what_one_response_can_carry(stack, team, monkeypatch) -> None:
    from galleria.generation import worker as worker_module

    one_image = len(
        LocalProceduralProvider()
        .generate(
            ProviderRequest(prompt="A lighthouse at dawn", aspect_ratio="1:1", style_preset="none", seed=1)
        )
        .data
    )
    with monkeypatch.context() as patch:
        patch.setattr(worker_module, "INLINE_MAX_BYTES", int(one_image * 1.5))
        _failing_s3(patch)
        body = {**ASYNC, "numImages": 2, "seed": 1}
        job_id = stack.request("POST", GENERATE, key=team.key, json_body=body).json()["jobId"]
        stack.run_workers()

    job = _job(stack, team, job_id)
    assert job["result"]["numImages"] == 1 and "image" in job["result"]["images"][0]
    assert _credits(team) == 1000 - 5  # the image that could not be returned is refunded


def test_an_inline_image_after_a_failed_one_comes_back_at_its_position(stack, team, monkeypatch) -> None:
    """The first image fails, the second is kept inline: the answer's only image carries its bytes."""
    original = LocalProceduralProvider.generate

    def first_fails(self, request):
        if request.seed == 1:
            raise ProviderError("The model could not draw this one")
        return original(self, request)

    with monkeypatch.context() as patch:
        patch.setattr(LocalProceduralProvider, "generate", first_fails)
        _failing_s3(patch)
        body = {**ASYNC, "numImages": 2, "seed": 1}
        job_id = stack.request("POST", GENERATE, key=team.key, json_body=body).json()["jobId"]
        stack.run_workers()

    (image,) = _job(stack, team, job_id)["result"]["images"]
    data = base64.b64decode(image["image"])
    assert Image.open(io.BytesIO(data)).size == (image["width"], image["height"])


def test_an_idempotent_retry_replays_inline_images(stack, team, monkeypatch) -> None:
    from galleria.api.generation import generation_answer, replay, replayable
    from galleria.api.idempotency import idempotent_answer
    from galleria.api.links import LinkBuilder
    from galleria.jobs.repository import JobsRepository

    with monkeypatch.context() as patch:
        _failing_s3(patch)
        job_id = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC).json()["jobId"]
        stack.run_workers()
    finished = JobsRepository().find(job_id)

    def answer():
        return generation_answer(finished, LinkBuilder("https://testserver"))

    first = idempotent_answer("t", team.team_id, "k-1", {"a": 1}, answer, keep=replayable, replay=replay)
    again = idempotent_answer("t", team.team_id, "k-1", {"a": 1}, answer, keep=replayable, replay=replay)
    assert first[1]["images"][0]["image"]
    assert again == first


def test_a_job_outlives_its_expired_inline_image_without_breaking(stack, team, monkeypatch) -> None:
    import boto3

    from galleria.config import get_settings

    with monkeypatch.context() as patch:
        _failing_s3(patch)
        job_id = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC).json()["jobId"]
        stack.run_workers()
    boto3.client("dynamodb", region_name="us-east-1").delete_item(
        TableName=get_settings().jobs_table, Key={"id": {"S": f"{job_id}#inline#0#0"}}
    )

    response = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key)
    assert response.status == 200
    assert "image" not in response.json()["result"]["images"][0]


def test_a_dead_lettered_job_that_never_finished_is_settled(stack, team, monkeypatch) -> None:
    """The last delivery timed out (nothing recorded); the dead-letter handler refunds what is missing."""
    from galleria.generation import worker as worker_module

    class SecondImageCrashes(LocalProceduralProvider):
        def generate(self, request):
            if request.seed == 61:
                raise RuntimeError("killed mid-way")
            return super().generate(request)

    monkeypatch.setattr(worker_module, "provider_for", lambda model: SecondImageCrashes())
    body = {**ASYNC, "numImages": 2, "seed": 60}
    job_id = stack.request("POST", GENERATE, key=team.key, json_body=body).json()["jobId"]
    stack.deliver(job_id, receive_count=1)  # one image made, then the job is left "running"
    assert _job(stack, team, job_id)["status"] == "running"

    outcome = stack.dead_letter(job_id)

    assert outcome == {"batchItemFailures": []}
    job = _job(stack, team, job_id)
    assert job["status"] == "succeeded" and job["result"]["numImages"] == 1
    assert _credits(team) == 1000 - 5
    # A second copy of the message changes nothing
    stack.dead_letter(job_id)
    assert _credits(team) == 1000 - 5
