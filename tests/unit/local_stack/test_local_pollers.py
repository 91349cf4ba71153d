"""The SQS event source mapping, one batch at a time, against a moto server."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from galleria_local.functions import SqsSource
from galleria_local.local_aws import LocalAws
from galleria_local.pollers import SqsPoller, batch_item_failures
from galleria_local.runtime import FunctionPool

# `make unit` leaves these out: a moto server and queue redrives, seconds in all.
pytestmark = pytest.mark.slow

# Records every record it gets; "fail…" bodies are reported as item failures, "crash…" fails the batch.
HANDLER = """
    import json
    import os

    def handler(event, context):
        failures = []
        with open(os.environ["RECORDS_FILE"], "a") as records:
            for record in event["Records"]:
                records.write(json.dumps({**record, "batchSize": len(event["Records"])}) + "\\n")
                if record["body"].startswith("fail"):
                    failures.append({"itemIdentifier": record["messageId"]})
                if record["body"].startswith("crash"):
                    raise RuntimeError("the batch fails")
        return {"batchItemFailures": failures}
"""


@dataclass
class Queue:
    url: str
    arn: str
    dead_letter_url: str


@pytest.fixture
def queue(local_aws: LocalAws) -> Queue:
    sqs = local_aws.client("sqs")
    name = f"jobs-{uuid.uuid4().hex[:8]}"
    dead_letter_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])
    redrive = {"deadLetterTargetArn": dead_letter_arn["Attributes"]["QueueArn"], "maxReceiveCount": 2}
    url = sqs.create_queue(
        QueueName=name, Attributes={"VisibilityTimeout": "30", "RedrivePolicy": json.dumps(redrive)}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Queue(url, arn, dead_letter_url)


@pytest.fixture
def pool(write_code, make_spec, local_aws: LocalAws, tmp_path: Path) -> Iterator[FunctionPool]:
    code_uri = write_code("worker", "jobs", HANDLER)
    spec = make_spec(code_uri, "jobs.handler", environment={"RECORDS_FILE": str(tmp_path / "records.jsonl")})
    function_pool = FunctionPool(spec, local_aws.environment(), tmp_path)
    yield function_pool
    function_pool.close()


MakePoller = Callable[..., SqsPoller]


@pytest.fixture
def make_poller(queue: Queue, pool: FunctionPool, local_aws: LocalAws) -> MakePoller:
    def make(
        report_batch_item_failures: bool = True,
        retry_delay_seconds: int | None = 0,
        batch_size: int = 10,
        batching_window_seconds: int = 0,
    ) -> SqsPoller:
        source = SqsSource(
            function_id="TestFunction",
            queue_arn=queue.arn,
            batch_size=batch_size,
            report_batch_item_failures=report_batch_item_failures,
            maximum_batching_window_seconds=batching_window_seconds,
        )
        return SqsPoller(
            source, queue.url, pool, local_aws.client("sqs"), retry_delay_seconds=retry_delay_seconds
        )

    return make


def _send(local_aws: LocalAws, queue: Queue, *bodies: str) -> None:
    local_aws.client("sqs").send_message_batch(
        QueueUrl=queue.url,
        Entries=[{"Id": str(index), "MessageBody": body} for index, body in enumerate(bodies)],
    )


def _bodies_left(local_aws: LocalAws, queue_url: str) -> list[str]:
    """Bodies visible now (received with a zero visibility timeout, so they stay visible)."""
    response = local_aws.client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
    )
    return sorted(message["Body"] for message in response.get("Messages", []))


def _records(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "records.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_moto_redrives_to_the_dead_letter_queue_after_max_receive_count(local_aws: LocalAws) -> None:
    """What the poller relies on instead of moving messages itself."""
    sqs = local_aws.client("sqs")
    dead_letter_url = sqs.create_queue(QueueName="redrive-check-dlq")["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])
    redrive = {"deadLetterTargetArn": dead_letter_arn["Attributes"]["QueueArn"], "maxReceiveCount": 2}
    url = sqs.create_queue(
        QueueName="redrive-check", Attributes={"VisibilityTimeout": "1", "RedrivePolicy": json.dumps(redrive)}
    )["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="poison")

    receive_counts = []
    for attempt in range(3):
        if attempt:
            time.sleep(1.05)  # each receive left the message in flight for the 1 s visibility timeout
        messages = sqs.receive_message(QueueUrl=url, AttributeNames=["All"]).get("Messages", [])
        receive_counts += [message["Attributes"]["ApproximateReceiveCount"] for message in messages]

    assert receive_counts == ["1", "2"]
    assert _bodies_left(local_aws, dead_letter_url) == ["poison"]
    assert _bodies_left(local_aws, url) == []


def test_the_function_gets_lambdas_sqs_event(
    make_poller: MakePoller, local_aws: LocalAws, queue: Queue, tmp_path: Path
) -> None:
    local_aws.client("sqs").send_message(
        QueueUrl=queue.url,
        MessageBody="ok",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "generate"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )

    assert make_poller().poll_once()

    (record,) = _records(tmp_path)
    assert record.pop("batchSize") == 1
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfMessageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["body"] == "ok"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue.arn
    assert record["awsRegion"] == "us-east-1"
    assert set(record["attributes"]) >= {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "generate",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "blob": {
            "binaryValue": base64.b64encode(b"\x00\x01").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }


def test_the_batching_window_gathers_messages_up_to_the_batch_size(
    make_poller: MakePoller, local_aws: LocalAws, queue: Queue, tmp_path: Path
) -> None:
    poller = make_poller(batch_size=3, batching_window_seconds=5)
    _send(local_aws, queue, "ok-1")

    with ThreadPoolExecutor(max_workers=1) as executor:
        polling = executor.submit(poller.poll_once)
        time.sleep(0.3)
        _send(local_aws, queue, "ok-2", "ok-3")
        started = time.monotonic()
        assert polling.result(timeout=10)

    assert time.monotonic() - started < 3  # a full batch goes at once, without waiting out the window
    assert sorted((record["body"], record["batchSize"]) for record in _records(tmp_path)) == [
        ("ok-1", 3),
        ("ok-2", 3),
        ("ok-3", 3),
    ]


def test_a_successful_batch_is_deleted(make_poller: MakePoller, local_aws: LocalAws, queue: Queue) -> None:
    _send(local_aws, queue, "ok-1", "ok-2", "ok-3")

    make_poller().poll_once()

    attributes = local_aws.client("sqs").get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_reported_item_failures_alone_stay_and_come_back(
    make_poller: MakePoller, local_aws: LocalAws, queue: Queue
) -> None:
    _send(local_aws, queue, "ok-1", "fail-1", "ok-2")

    make_poller(retry_delay_seconds=0).poll_once()

    assert _bodies_left(local_aws, queue.url) == ["fail-1"]


def test_without_a_retry_delay_failures_wait_for_the_visibility_timeout(
    make_poller: MakePoller, local_aws: LocalAws, queue: Queue
) -> None:
    _send(local_aws, queue, "fail-1")

    make_poller(retry_delay_seconds=None).poll_once()

    assert _bodies_left(local_aws, queue.url) == []  # in flight for the queue's 30 s


def test_a_function_error_keeps_the_whole_batch(
    make_poller: MakePoller, local_aws: LocalAws, queue: Queue
) -> None:
    _send(local_aws, queue, "ok-1", "crash-1")

    make_poller().poll_once()

    assert _bodies_left(local_aws, queue.url) == ["crash-1", "ok-1"]


def test_item_failures_are_ignored_unless_the_mapping_reports_them(
    make_poller: MakePoller, local_aws: LocalAws, queue: Queue
) -> None:
    _send(local_aws, queue, "fail-1")

    make_poller(report_batch_item_failures=False).poll_once()

    assert _bodies_left(local_aws, queue.url) == []
    assert _bodies_left(local_aws, queue.dead_letter_url) == []


def test_repeated_failures_end_in_the_dead_letter_queue(
    make_poller: MakePoller, local_aws: LocalAws, queue: Queue, tmp_path: Path
) -> None:
    _send(local_aws, queue, "fail-forever")
    poller = make_poller(retry_delay_seconds=0)

    handled = [poller.poll_once() for _ in range(3)]

    assert handled == [True, True, False]  # maxReceiveCount 2: the third receive moves it instead
    assert [record["attributes"]["ApproximateReceiveCount"] for record in _records(tmp_path)] == ["1", "2"]
    assert _bodies_left(local_aws, queue.dead_letter_url) == ["fail-forever"]


BATCH = {"m1", "m2"}


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": None}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "m2"}]}, {"m2"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, BATCH),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, BATCH),
        ({"batchItemFailures": [{"itemId": "m1"}]}, BATCH),
        ({"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}, BATCH),
        ({"batchItemFailures": "m1"}, BATCH),
        ("m1", BATCH),
    ],
)
def test_batch_item_failure_responses_are_judged_as_lambda_does(response: Any, failed: set[str]) -> None:
    assert batch_item_failures(response, BATCH) == failed
