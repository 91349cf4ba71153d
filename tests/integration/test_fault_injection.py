"""Faults a deployment meets, through the handlers against moto: DynamoDB throttling and S3/SQS
errors answered by the real botocore clients, a worker cut off mid-job, a message that never
succeeds, a worker slower than the caller waits — and URLs the service must never fetch.

AWS faults are injected on the clients ``galleria.aws.client`` hands out, through botocore's
``before-send`` event: a handler registered for ``before-send.<service>`` runs before moto's stub on
the generic ``before-send`` (botocore calls the most specific handlers first) and its answer is the
one the client's retry policy sees. botocore still calls every other handler of the event, so moto's
stub is re-registered to skip a request a fault has answered: a faulted attempt changes nothing, as
with AWS.
"""

from __future__ import annotations

import base64
import io
import json
import pkgutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import httpx
import pytest
import respx
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.retries.standard import ExponentialBackoff
from cloud_recordings import (
    BFL_KONTEXT_MAX_URL,
    BFL_POLLING_URL,
    BFL_SAMPLE_URL,
    GEMINI_URL,
    OPENAI_URL,
    PNG,
    bfl_ready,
    bfl_submitted,
)
from media_samples import image_bytes
from moto.core.models import botocore_stubber

from galleria import aws
from galleria.accounts.repository import AccountsRepository
from galleria.config import get_settings
from galleria.providers.base import ProviderImage, ProviderRequest
from galleria_local.in_process import InProcessStack as Stack
from galleria_local.in_process import LambdaContext, TeamKey, http_event, sqs_event
from galleria_local.provision import local_name
from galleria_local.template import load_template

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

ROOT = Path(__file__).resolve().parents[2]
GENERATE = "/api/v1/generate-image"
EXPORTS = "/api/v1/gallery/exports"
ASYNC = {"prompt": "A lighthouse in a storm", "model": "local/procedural", "async": True}
WITH_SOURCE = {
    **ASYNC,
    "sourceImage": "data:image/png;base64," + base64.b64encode(image_bytes("PNG")).decode(),
}
METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
FOREIGN_URL = "https://attacker.example/image.png"


# --- injecting AWS faults ------------------------------------------------------------------------
@dataclass(frozen=True)
class AwsError:
    """An error answer of an AWS service; the body may depend on the request it answers."""

    status: int
    content_type: str
    body: Callable[[AWSPreparedRequest], bytes]


def dynamodb_error(code: str, message: str) -> AwsError:
    payload = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})
    return AwsError(400, "application/x-amz-json-1.0", lambda _: payload.encode())


THROUGHPUT_EXCEEDED = dynamodb_error(
    "ProvisionedThroughputExceededException",
    "The level of configured provisioned throughput for the table was exceeded.",
)
THROTTLED = dynamodb_error(
    "ThrottlingException", "Throughput exceeds the current capacity of your table or index."
)


def _transaction_throttled(request: AWSPreparedRequest) -> bytes:
    """DynamoDB cancels a whole transaction when it throttles one of its items (an on-demand table
    scaling up): TransactionCanceledException, one reason per item, ThrottlingError for that item."""
    body = request.body
    assert isinstance(body, bytes | str), "a JSON request's body is sent whole"
    items = len(json.loads(body)["TransactItems"])
    reasons = [{"Code": "None"}] * (items - 1) + [
        {"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity of your table."}
    ]
    codes = ", ".join(reason["Code"] for reason in reasons)
    return json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": f"Transaction cancelled, please refer cancellation reasons for details [{codes}]",
            "CancellationReasons": reasons,
        }
    ).encode()


TRANSACTION_THROTTLED = AwsError(400, "application/x-amz-json-1.0", _transaction_throttled)


def s3_error(status: int, code: str, message: str) -> AwsError:
    payload = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>F1</RequestId></Error>"
    return AwsError(status, "application/xml", lambda _: payload.encode())


SLOW_DOWN = s3_error(503, "SlowDown", "Please reduce your request rate.")
S3_INTERNAL = s3_error(500, "InternalError", "We encountered an internal error. Please try again.")
SQS_INTERNAL = AwsError(
    500,
    "application/x-amz-json-1.0",
    lambda _: b'{"__type": "com.amazonaws.sqs#InternalError", "message": "Internal error"}',
)


class _Body(io.BytesIO):
    """The raw body botocore reads a response from."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


@dataclass
class Faults:
    """Answers the first ``attempts`` attempts of each picked call with ``error``. A call is one
    client method call with all its retries (botocore's ``amz-sdk-invocation-id``); ``picks`` chooses
    calls by their number, counted from 0 in the order they start."""

    error: AwsError
    attempts: int
    picks: Callable[[int], bool] = lambda _: True
    seen: list[tuple[str, str, int]] = field(default_factory=list)  # (call id, operation, attempt)
    _numbers: dict[str, int] = field(default_factory=dict)

    def __call__(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse | None:
        call = _header(request, "amz-sdk-invocation-id")
        sdk = dict(part.strip().split("=") for part in _header(request, "amz-sdk-request").split(";"))
        attempt = int(sdk["attempt"])
        self.seen.append((call, event_name.rsplit(".", 1)[-1], attempt))
        number = self._numbers.setdefault(call, len(self._numbers))
        if attempt > self.attempts or not self.picks(number):
            return None  # on to moto
        setattr(request, _ANSWERED, True)
        headers = {"content-type": self.error.content_type, "x-amzn-requestid": f"fault-{call}"}
        # botocore copies any mapping of headers into the response's HeadersDict; its stubs say HTTPHeaders.
        return AWSResponse(request.url, self.error.status, headers, _Body(self.error.body(request)))  # type: ignore[arg-type]

    def calls(self) -> list[tuple[str, int]]:
        """(operation, attempts made) of each call, in the order the calls started."""
        made: dict[str, tuple[str, int]] = {}
        for call, operation, attempt in self.seen:
            made[call] = (operation, max(attempt, made.get(call, (operation, 0))[1]))
        return list(made.values())

    def stop(self) -> None:
        self.attempts = 0


_ANSWERED = "answered_by_fault"


def _header(request: AWSPreparedRequest, name: str) -> str:
    """A header botocore set on the prepared request (it holds them as bytes)."""
    value = request.headers[name]
    return value.decode() if isinstance(value, bytes) else value


def _moto_unless_answered(request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse | None:
    if getattr(request, _ANSWERED, False):
        return None
    return botocore_stubber(request=request, **kwargs)


def inject(
    service: str,
    error: AwsError,
    *,
    attempts: int,
    operations: tuple[str, ...] = (),
    picks: Callable[[int], bool] = lambda _: True,
) -> Faults:
    """Faults on ``service``'s client, for ``operations`` (botocore names) or every operation."""
    faults = Faults(error, attempts, picks)
    events = aws.client(service).meta.events
    # A before-send handler may answer the request in place of the service: botocore uses the response
    # it returns. Its stubs type every event handler as returning None.
    events.unregister("before-send", botocore_stubber)  # type: ignore[arg-type]
    events.register("before-send", _moto_unless_answered, unique_id="moto-unless-answered")  # type: ignore[arg-type]
    for event in [f"before-send.{service}.{operation}" for operation in operations] or [
        f"before-send.{service}"
    ]:
        events.register(event, faults)  # type: ignore[arg-type]
    return faults


def attempts_allowed(service: str) -> int:
    """Attempts the client makes of one call before it gives up (its retry configuration)."""
    # A client's Config holds its resolved retries; the stubs know it only as an argument.
    return int(aws.client(service).meta.config.retries["total_max_attempts"])  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore sleeps up to 20 s between attempts; what these tests count are the attempts."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)


# --- reading the outcome -------------------------------------------------------------------------
def _credits(team: TeamKey) -> int:
    return AccountsRepository().get_team(team.team_id).credits


def _job(stack: Stack, team: TeamKey, job_id: str) -> dict[str, Any]:
    return stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()


def _ledger(stack: Stack, team: TeamKey) -> list[tuple[str, int]]:
    entries = stack.request("GET", "/api/v1/account/ledger", key=team.key).json()["entries"]
    return [(entry["kind"], entry["credits"]) for entry in entries]


def _gallery_ids(stack: Stack, team: TeamKey) -> list[str]:
    return [item["id"] for item in stack.request("GET", "/api/v1/gallery", key=team.key).json()["items"]]


def _storage(stack: Stack, team: TeamKey) -> tuple[int, int]:
    """(items, bytes used) as the team's storage report counts them."""
    storage = stack.request("GET", "/api/v1/gallery/storage", key=team.key).json()
    return storage["itemCount"], storage["used"]


def _objects(prefix: str = "") -> dict[str, int]:
    """Every object in the media bucket under ``prefix``, with its size."""
    listing = boto3.client("s3", region_name="us-east-1").list_objects_v2(
        Bucket=get_settings().media_bucket, Prefix=prefix
    )
    return {entry["Key"]: entry["Size"] for entry in listing.get("Contents", [])}


def _accepted(stack: Stack, team: TeamKey, body: dict[str, Any]) -> str:
    response = stack.request("POST", GENERATE, key=team.key, json_body=body)
    assert response.status == 202, response.body
    return str(response.json()["jobId"])


def _use_provider(monkeypatch: pytest.MonkeyPatch, provider: Any) -> None:
    # Imported here, as the worker's modules are: their loggers need the handler's environment.
    from galleria.generation import worker

    monkeypatch.setattr(worker, "provider_for", lambda model: provider)


def _procedural(request: ProviderRequest) -> ProviderImage:
    from galleria.providers.local_procedural import LocalProceduralProvider

    return LocalProceduralProvider().generate(request)


# --- DynamoDB throttling -------------------------------------------------------------------------
def test_generating_tagging_and_listing_ride_out_dynamodb_throttling(stack, team) -> None:
    # Given DynamoDB throttles the first two attempts of every call
    faults = inject("dynamodb", THROUGHPUT_EXCEEDED, attempts=2)

    # When the team generates an image, tags it and lists its gallery by the tag
    job_id = _accepted(stack, team, ASYNC)
    assert stack.run_workers() == 1
    job = _job(stack, team, job_id)
    item_id = job["result"]["images"][0]["galleryId"]
    patched = stack.request(
        "PATCH", f"/api/v1/gallery/{item_id}", key=team.key, json_body={"tags": ["storm"]}
    )
    listing = stack.request("GET", "/api/v1/gallery", key=team.key, query={"tags": "storm"}).json()

    # Then every call went through on its third attempt: the client's retries absorbed the throttling
    calls = faults.calls()
    assert {attempts for _, attempts in calls} == {3}
    assert {"GetItem", "UpdateItem", "TransactWriteItems", "Query"} <= {operation for operation, _ in calls}
    faults.stop()
    # and the outcome is exactly that of a calm day: one image, one charge, the tag
    assert job["status"] == "succeeded" and job["result"]["creditsCharged"] == 5
    assert patched.status == 200 and patched.json()["tags"] == ["storm"]
    assert listing["total"] == 1 and [item["id"] for item in listing["items"]] == [item_id]
    assert _ledger(stack, team) == [("charge", -5), ("grant", 1000)]
    assert _credits(team) == 1000 - 5


def test_transactions_dynamodb_cancels_for_throttling_are_tried_again(stack, team) -> None:
    # Given DynamoDB cancels every other transaction because it throttled one of its items
    faults = inject(
        "dynamodb",
        TRANSACTION_THROTTLED,
        attempts=1,
        operations=("TransactWriteItems",),
        picks=lambda number: number % 2 == 0,
    )

    # When the team generates an image and tags it (credits, job, item and tags change in transactions)
    job_id = _accepted(stack, team, ASYNC)
    stack.run_workers()
    job = _job(stack, team, job_id)
    item_id = job["result"]["images"][0]["galleryId"]
    patched = stack.request(
        "PATCH", f"/api/v1/gallery/{item_id}", key=team.key, json_body={"tags": ["storm"]}
    )

    # Then each cancelled transaction (charge, item, outcome, tags: the 1st, 3rd, ... call) was sent
    # again and went through. botocore does not retry a cancelled transaction (one attempt per call):
    # the service did, so the calls come in pairs
    transactions = faults.calls()
    assert set(transactions) == {("TransactWriteItems", 1)}
    assert len(transactions) >= 8 and len(transactions) % 2 == 0
    faults.stop()
    assert job["status"] == "succeeded" and patched.json()["tags"] == ["storm"]
    assert _ledger(stack, team) == [("charge", -5), ("grant", 1000)]
    assert stack.request("GET", "/api/v1/gallery", key=team.key).json()["total"] == 1


@dataclass(frozen=True)
class Outage:
    """One AWS operation failing every attempt, met by one API request."""

    service: str
    operation: str
    error: AwsError
    method: str = "POST"
    path: str = GENERATE
    body: dict[str, Any] | None = field(default_factory=lambda: ASYNC)
    headers: dict[str, str] | None = None


OUTAGES = [
    pytest.param(Outage("dynamodb", "GetItem", THROTTLED, "GET", "/api/v1/gallery", None), id="key-lookup"),
    pytest.param(
        Outage("dynamodb", "Query", THROTTLED, "GET", "/api/v1/gallery", None), id="gallery-listing"
    ),
    pytest.param(
        Outage("dynamodb", "PutItem", THROTTLED, headers={"idempotency-key": "retry-1"}),
        id="saving-the-idempotency-record",
    ),
    pytest.param(Outage("dynamodb", "TransactWriteItems", THROUGHPUT_EXCEEDED), id="charging-credits"),
    pytest.param(Outage("s3", "PutObject", SLOW_DOWN, body=WITH_SOURCE), id="storing-the-source-image"),
    pytest.param(Outage("sqs", "SendMessage", SQS_INTERNAL), id="queueing-the-job"),
]


@pytest.mark.parametrize("outage", OUTAGES)
def test_a_dependency_failing_past_the_retries_answers_503_with_a_reason_and_charges_nothing(
    stack, team, outage: Outage
) -> None:
    # Given one AWS operation fails every attempt
    allowed = attempts_allowed(outage.service)
    faults = inject(outage.service, outage.error, attempts=allowed, operations=(outage.operation,))

    response = stack.request(
        outage.method, outage.path, key=team.key, json_body=outage.body, headers=outage.headers
    )

    # Then the client tried as often as its configuration allows, once, and the caller is told to retry
    assert faults.calls() == [(outage.operation, allowed)]
    faults.stop()
    assert response.status == 503, response.body
    answer = response.json()
    assert set(answer) == {"error", "code", "requestId"}  # no AWS error code, no stack trace
    assert answer["code"] == "service_unavailable" and "try again" in answer["error"]
    # and nothing was charged or left to run
    assert _credits(team) == 1000
    assert stack.run_workers() == 0
    # and trying again, once AWS has recovered, goes through
    again = stack.request(
        outage.method, outage.path, key=team.key, json_body=outage.body, headers=outage.headers
    )
    assert again.status in {200, 202}, again.body


# --- S3 errors -------------------------------------------------------------------------------------
def test_s3_errors_while_a_generation_is_stored_are_retried_and_the_item_stored_once(stack, team) -> None:
    # Given S3 answers 503 SlowDown to the first attempt of every upload and 500 to two of every read
    puts = inject("s3", SLOW_DOWN, attempts=1, operations=("PutObject",))
    gets = inject("s3", S3_INTERNAL, attempts=2, operations=("GetObject",))

    # When an image is made from a source image (uploaded by the API, read back by the worker)
    job_id = _accepted(stack, team, WITH_SOURCE)
    stack.run_workers()

    # Then every upload and read went through on a retry
    assert {attempts for _, attempts in puts.calls()} == {2} and len(puts.calls()) >= 4
    assert gets.calls() == [("GetObject", 3)]
    puts.stop()
    gets.stop()
    # and the image was stored, not handed back inline as when S3 stays down
    job = _job(stack, team, job_id)
    assert job["status"] == "succeeded" and job["error"] is None
    (image,) = job["result"]["images"]
    assert image["url"] and "image" not in image
    # once: the item's four objects (original, two thumbnails, its source), counted once in the usage
    item_objects = _objects(f"teams/{team.team_id}/")
    assert sorted(key.rsplit("/", 1)[-1] for key in item_objects) == [
        "original.png",
        "source.png",
        "thumb-256.webp",
        "thumb-512.webp",
    ]
    assert all(f"/items/{image['galleryId']}/" in key for key in item_objects)
    assert _storage(stack, team) == (1, sum(item_objects.values()))


# --- a worker cut off between the provider and the save --------------------------------------------
class InvocationEnded(Exception):
    """Lambda ending the invocation mid-job (timeout, out of memory). There the message is not
    reported at all and comes back when its visibility timeout ends; to the queue it is the same."""


class CountingProvider:
    def __init__(self) -> None:
        self.calls = 0

    def generate(self, request: ProviderRequest) -> ProviderImage:
        self.calls += 1
        return _procedural(request)


def _ends_once(monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    """The first call of ``step`` (``module:Class.method``) ends the invocation; later calls run."""
    original = pkgutil.resolve_name(step)
    ended: list[bool] = []

    def once(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not ended:
            ended.append(True)
            raise InvocationEnded(f"the invocation ended in {step}")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(step.replace(":", "."), once)


@pytest.mark.parametrize(
    ("step", "provider_calls"),
    [
        pytest.param("galleria.storage:MediaStorage.put", 2, id="uploading-the-original"),
        pytest.param("galleria.items.writer:ItemWriter.write", 2, id="writing-the-item"),
        pytest.param("galleria.generation.worker:GenerationWorker._record", 1, id="recording-the-outcome"),
    ],
)
def test_a_worker_cut_off_after_the_provider_call_is_finished_by_the_redelivery(
    stack, team, monkeypatch, step: str, provider_calls: int
) -> None:
    provider = CountingProvider()
    _use_provider(monkeypatch, provider)
    _ends_once(monkeypatch, step)
    job_id = _accepted(stack, team, ASYNC)

    # The first delivery made the image, then its invocation ended: SQS will deliver the job again
    assert len(stack.deliver(job_id, receive_count=1)["batchItemFailures"]) == 1
    assert provider.calls == 1
    assert _job(stack, team, job_id)["status"] == "running"

    assert stack.deliver(job_id, receive_count=2) == {"batchItemFailures": []}

    job = _job(stack, team, job_id)
    assert job["status"] == "succeeded" and job["result"]["creditsCharged"] == 5
    assert provider.calls == provider_calls  # a saved item is found, not made again
    item_id = job["result"]["images"][0]["galleryId"]
    assert _gallery_ids(stack, team) == [item_id]
    assert _ledger(stack, team) == [("charge", -5), ("grant", 1000)]
    assert _credits(team) == 1000 - 5
    # No object beyond the item's own, and its bytes counted once
    objects = _objects()
    assert sorted(objects) == sorted(
        f"teams/{team.team_id}/items/{item_id}/{name}"
        for name in ("original.png", "thumb-256.webp", "thumb-512.webp")
    )
    assert _storage(stack, team) == (1, sum(objects.values()))


# --- poison messages -------------------------------------------------------------------------------
def _max_receive_count(queue: str) -> int:
    resource = load_template(ROOT / "template.yaml").resources[queue]
    return int(resource["Properties"]["RedrivePolicy"]["maxReceiveCount"])


def _queue_url(queue: str) -> str:
    sqs = boto3.client("sqs", region_name="us-east-1")
    return str(sqs.get_queue_url(QueueName=local_name(queue))["QueueUrl"])


def _deliveries(stack: Stack, queue: str, function: str) -> Iterator[bool]:
    """Feed the queue's messages to ``function`` as Lambda's event source does, one per batch, until
    the queue is empty; a failed message comes back at once (as when its visibility timeout ends)
    until SQS's redrive policy moves it to the dead-letter queue. Yields whether each delivery failed."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = _queue_url(queue)
    while messages := sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MaxNumberOfMessages=1).get(
        "Messages", []
    ):
        failed = bool(stack.handler(function)(sqs_event(messages), LambdaContext())["batchItemFailures"])
        handle = messages[0]["ReceiptHandle"]
        if failed:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
        else:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
        yield failed


def _dead_letters(queue: str) -> list[MessageTypeDef]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    return list(
        sqs.receive_message(QueueUrl=_queue_url(queue), AttributeNames=["All"], MaxNumberOfMessages=10).get(
            "Messages", []
        )
    )


def _settle_dead_letters(stack: Stack, messages: list[MessageTypeDef]) -> dict[str, Any]:
    return stack.handler("GenerationDeadLetterFunction")(sqs_event(messages), LambdaContext())


class Crashing:
    def generate(self, request: ProviderRequest) -> ProviderImage:
        raise RuntimeError("the provider client has a bug")


def _unreadable_request(job_id: str) -> None:
    """Leave the job's stored request in a shape this code cannot read (as one written by another
    release might be): no prompt."""
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=get_settings().jobs_table,
        Key={"id": {"S": job_id}},
        UpdateExpression="REMOVE #request.prompt",
        ExpressionAttributeNames={"#request": "request"},
    )


@pytest.mark.parametrize(
    ("poison", "error"),
    [
        pytest.param(
            "provider-crashes",
            {"code": "internal_error", "message": "The image could not be made"},
            id="provider-crashes",
        ),
        pytest.param(
            "unreadable-job",
            {"code": "generation_failed", "message": "The job failed repeatedly; credits were refunded"},
            id="unreadable-job",
        ),
    ],
)
def test_a_poison_message_is_dead_lettered_after_max_receive_count_and_refunded_once(
    stack, team, monkeypatch, poison: str, error: dict[str, str]
) -> None:
    _use_provider(monkeypatch, Crashing())
    job_id = _accepted(stack, team, ASYNC)
    if poison == "unreadable-job":
        _unreadable_request(job_id)
    receives = _max_receive_count("GenerationQueue")

    outcomes = [
        (failed, _job(stack, team, job_id)["status"], _credits(team))
        for failed in _deliveries(stack, "GenerationQueue", "GenerationWorkerFunction")
    ]

    # Every delivery failed; the job stayed charged until the queue's last one, which failed and refunded it
    assert outcomes == [(True, "running", 1000 - 5)] * (receives - 1) + [(True, "failed", 1000)]
    assert _job(stack, team, job_id)["error"] == error
    # SQS then moved the message to the dead-letter queue; settling it (twice: SQS delivers at least
    # once) refunds nothing more
    dead = _dead_letters("GenerationDeadLetterQueue")
    assert [json.loads(message["Body"])["jobId"] for message in dead] == [job_id]
    assert _settle_dead_letters(stack, dead) == {"batchItemFailures": []}
    assert _settle_dead_letters(stack, dead) == {"batchItemFailures": []}
    assert _ledger(stack, team) == [("refund", 5), ("charge", -5), ("grant", 1000)]
    assert _job(stack, team, job_id)["error"] == error


def test_an_export_failing_every_delivery_is_dead_lettered_and_marked_failed(stack, team) -> None:
    item_ids = stack.make_items(team, 1)
    job_id = stack.request("POST", EXPORTS, key=team.key, json_body={"itemIds": item_ids}).json()["jobId"]
    # S3 fails every read of the originals
    faults = inject("s3", S3_INTERNAL, attempts=attempts_allowed("s3"), operations=("GetObject",))

    def status() -> str:
        return str(stack.request("GET", f"{EXPORTS}/{job_id}", key=team.key).json()["status"])

    outcomes = [(failed, status()) for failed in _deliveries(stack, "ExportQueue", "ExportWorkerFunction")]
    faults.stop()

    receives = _max_receive_count("ExportQueue")
    assert outcomes == [(True, "running")] * (receives - 1) + [(True, "failed")]
    dead = _dead_letters("ExportDeadLetterQueue")
    assert [json.loads(message["Body"])["jobId"] for message in dead] == [job_id]
    assert _settle_dead_letters(stack, dead) == {"batchItemFailures": []}
    export = stack.request("GET", f"{EXPORTS}/{job_id}", key=team.key).json()
    assert export["status"] == "failed" and export["downloadUrl"] is None
    assert "try again" in export["error"]["message"]


# --- a worker slower than the caller waits ---------------------------------------------------------
class CountdownContext(LambdaContext):
    """A Lambda context whose remaining time runs down with the clock, as in Lambda."""

    def __init__(self, remaining_ms: int) -> None:
        super().__init__(remaining_ms)
        self._deadline = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


class HeldProvider:
    """A provider that takes until the test lets it finish."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def generate(self, request: ProviderRequest) -> ProviderImage:
        self.started.set()
        self.release.wait(timeout=30)
        return _procedural(request)


def _deployed_sync_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wait a deployment uses (the tests' stack sets none)."""
    monkeypatch.delenv("SYNC_WAIT_SECONDS")
    get_settings.cache_clear()
    assert get_settings().sync_wait_seconds > 20


def _generate_within(
    stack: Stack, team: TeamKey, body: dict[str, Any], context: LambdaContext
) -> tuple[int, dict[str, Any], float]:
    """(status, JSON body, seconds taken) of POST /generate-image invoked with ``context``."""
    function, route_key, params = stack.route_for("POST", GENERATE)
    headers = {"host": "testserver", "x-forwarded-proto": "https", "authorization": f"Bearer {team.key}"}
    event = http_event("POST", GENERATE, route_key, params, headers, None, body)
    started = time.monotonic()
    result = stack.handler(function)(event, context)
    return result["statusCode"], json.loads(result["body"]), time.monotonic() - started


def _run_worker_once_queued(stack: Stack, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while stack.run_workers() == 0:
        assert time.monotonic() < deadline, "no job was queued"
        time.sleep(0.05)


def test_a_sync_request_whose_worker_is_slow_answers_202_before_its_deadline(
    stack, team, monkeypatch
) -> None:
    _deployed_sync_wait(monkeypatch)
    provider = HeldProvider()
    _use_provider(monkeypatch, provider)
    body = {"prompt": "A lighthouse in a storm", "model": "local/procedural"}  # sync: the caller waits
    context = CountdownContext(remaining_ms=3_500)

    with ThreadPoolExecutor(1) as pool:
        worker = pool.submit(_run_worker_once_queued, stack)
        status, answer, took = _generate_within(stack, team, body, context)
        assert provider.started.wait(timeout=10)  # the worker has the job, and holds it
        assert _job(stack, team, answer["jobId"])["status"] == "running"
        provider.release.set()
        worker.result(timeout=30)

    # The caller got the job to poll, with time to spare before the function's deadline
    assert status == 202 and answer["status"] in {"queued", "running"}
    assert answer["statusUrl"] == f"/api/v1/jobs/{answer['jobId']}"
    assert took < 3.5 and context.get_remaining_time_in_millis() > 0
    # and polling shows the finished job
    job = _job(stack, team, answer["jobId"])
    assert job["status"] == "succeeded" and job["result"]["numImages"] == 1
    assert _credits(team) == 1000 - 5


def test_time_spent_queueing_the_job_comes_out_of_the_sync_wait(stack, team, monkeypatch) -> None:
    _deployed_sync_wait(monkeypatch)

    def slow_queue(**_: Any) -> None:
        time.sleep(2.5)  # SQS answering slowly: the request goes on to moto afterwards

    aws.client("sqs").meta.events.register("before-send.sqs.SendMessage", slow_queue)
    body = {"prompt": "A lighthouse in a storm", "model": "local/procedural"}
    context = CountdownContext(remaining_ms=4_000)

    status, answer, took = _generate_within(stack, team, body, context)

    assert status == 202 and answer["statusUrl"] == f"/api/v1/jobs/{answer['jobId']}"
    assert took < 4.0 and context.get_remaining_time_in_millis() > 0
    assert stack.run_workers() == 1
    assert _job(stack, team, answer["jobId"])["status"] == "succeeded"


# --- no SSRF ---------------------------------------------------------------------------------------
@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Every network connection the code under test tries (moto and respx need none); each is refused."""
    tried: list[tuple[Any, ...]] = []

    def refuse(*args: Any, **_: Any) -> Any:
        tried.append(args)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return tried


def _s3_reads() -> Faults:
    """A record of the object reads the service makes (none fails)."""
    return inject("s3", S3_INTERNAL, attempts=0, operations=("GetObject",))


@pytest.mark.parametrize(
    ("field_name", "value", "code"),
    [
        pytest.param("sourceImage", METADATA_URL, "invalid_image", id="cloud-metadata-url"),
        pytest.param("sourceImage", "https://example.com/x.png", "invalid_image", id="https-url"),
        pytest.param("sourceImage", "file:///etc/passwd", "invalid_image", id="file-url"),
        pytest.param("sourceImage", "//example.com/x.png", "invalid_image", id="scheme-relative-url"),
        pytest.param("sourceItemId", METADATA_URL, "invalid_request", id="url-as-gallery-id"),
    ],
)
def test_a_source_that_is_a_url_is_refused_and_never_fetched(
    stack, team, connections, field_name: str, value: str, code: str
) -> None:
    reads = _s3_reads()

    response = stack.request("POST", GENERATE, key=team.key, json_body={**ASYNC, field_name: value})

    assert response.status == 400
    assert response.json()["code"] == code and field_name in response.json()["error"]
    assert connections == [] and reads.calls() == []
    assert _credits(team) == 1000 and stack.run_workers() == 0


def test_another_teams_item_as_the_source_is_not_found_and_never_read(
    stack, team, other_team, connections
) -> None:
    [theirs] = stack.make_items(other_team, 1)
    reads = _s3_reads()

    response = stack.request("POST", GENERATE, key=team.key, json_body={**ASYNC, "sourceItemId": theirs})

    assert response.status == 404 and response.json()["code"] == "not_found"
    assert connections == [] and reads.calls() == []
    assert _credits(team) == 1000 and stack.run_workers() == 0


def _bfl_polling_on_metadata(router: respx.MockRouter) -> respx.Route:
    router.post(BFL_KONTEXT_MAX_URL).respond(200, json=bfl_submitted("t1", f"{METADATA_URL}?id=t1"))
    return router.get(METADATA_URL)


def _bfl_sample_on_another_host(router: respx.MockRouter) -> respx.Route:
    router.post(BFL_KONTEXT_MAX_URL).respond(200, json=bfl_submitted())
    ready = bfl_ready()
    ready["result"]["sample"] = FOREIGN_URL
    router.get(BFL_POLLING_URL).respond(200, json=ready)
    return router.get(FOREIGN_URL)


def _bfl_sample_redirecting_away(router: respx.MockRouter) -> respx.Route:
    router.post(BFL_KONTEXT_MAX_URL).respond(200, json=bfl_submitted())
    router.get(BFL_POLLING_URL).respond(200, json=bfl_ready())
    router.get(BFL_SAMPLE_URL).respond(302, headers={"location": METADATA_URL})
    return router.get(METADATA_URL)


def _openai_result_as_a_url(router: respx.MockRouter) -> respx.Route:
    output = [{"type": "image_generation_call", "id": "ig_1", "status": "completed", "url": FOREIGN_URL}]
    router.post(OPENAI_URL).respond(200, json={"id": "resp_1", "status": "completed", "output": output})
    return router.get(FOREIGN_URL)


def _gemini_result_as_a_file_uri(router: respx.MockRouter) -> respx.Route:
    part = {"fileData": {"mimeType": "image/png", "fileUri": FOREIGN_URL}}
    candidate = {"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}
    router.post(GEMINI_URL).respond(200, json={"candidates": [candidate]})
    return router.get(FOREIGN_URL)


FOREIGN_ANSWERS = [
    pytest.param(
        "bfl/flux-kontext-max",
        _bfl_polling_on_metadata,
        "BFL sent a link to http://169.254.169.254, which is not one of its hosts; not fetched",
        id="bfl-polling-url-on-metadata",
    ),
    pytest.param(
        "bfl/flux-kontext-max",
        _bfl_sample_on_another_host,
        "BFL sent a link to https://attacker.example, which is not one of its hosts; not fetched",
        id="bfl-sample-on-another-host",
    ),
    pytest.param(
        "bfl/flux-kontext-max",
        _bfl_sample_redirecting_away,
        "BFL's result could not be downloaded (302)",
        id="bfl-sample-redirecting-away",
    ),
    pytest.param(
        "openai/gpt-5-nano", _openai_result_as_a_url, "OpenAI returned no image", id="openai-result-as-a-url"
    ),
    pytest.param(
        "google/gemini-2.5-flash-image",
        _gemini_result_as_a_file_uri,
        "Gemini returned no image",
        id="gemini-result-as-a-file-uri",
    ),
]


@pytest.mark.parametrize(("model", "answers", "reason"), FOREIGN_ANSWERS)
def test_a_provider_naming_a_foreign_url_fails_the_job_with_a_refund_and_it_is_never_fetched(
    stack,
    team,
    cloud_keys,
    connections,
    model: str,
    answers: Callable[[respx.MockRouter], respx.Route],
    reason: str,
) -> None:
    with respx.mock(assert_all_called=False) as router:
        foreign = answers(router)
        foreign.mock(return_value=httpx.Response(200, content=PNG, headers={"content-type": "image/png"}))
        job_id = _accepted(stack, team, {**ASYNC, "model": model})
        stack.run_workers()

    job = _job(stack, team, job_id)
    assert job["status"] == "failed" and job["error"]["code"] == "generation_failed"
    assert job["error"]["message"].startswith(reason)
    assert foreign.call_count == 0 and connections == []
    assert _credits(team) == 1000
    assert stack.request("GET", "/api/v1/gallery", key=team.key).json()["total"] == 0
