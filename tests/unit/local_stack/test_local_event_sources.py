"""SQS event source mappings of a running stack: pollers in parallel, and redrive through moto."""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from galleria_local.stack import LocalStack

# `make unit` leaves these out: a local stack whose queues drive worker processes, seconds in all.
pytestmark = pytest.mark.slow

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  RecordsFile: {Type: String}
Globals:
  Function:
    Runtime: python3.13
    Timeout: 5
    Environment:
      Variables:
        RECORDS_FILE: !Ref RecordsFile
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 1
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt JobsDeadLetters.Arn
        maxReceiveCount: 2
  JobsDeadLetters:
    Type: AWS::SQS::Queue
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: worker/
      Handler: worker.handler
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 1
            FunctionResponseTypes: [ReportBatchItemFailures]
            ScalingConfig: {MaximumConcurrency: 3}
"""

HANDLER = """
import json
import os
import time


def handler(event, context):
    (record,) = event["Records"]
    started = time.time()
    if record["body"].startswith("slow"):
        time.sleep(0.6)
    with open(os.environ["RECORDS_FILE"], "a") as records:
        count = record["attributes"]["ApproximateReceiveCount"]
        line = {"body": record["body"], "start": started, "end": time.time(), "count": count}
        records.write(json.dumps(line))
        records.write("\\n")
    failed = record["body"].startswith("fail")
    return {"batchItemFailures": [{"itemIdentifier": record["messageId"]}] if failed else []}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    root = tmp_path_factory.mktemp("event-sources")
    (root / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    (root / "worker").mkdir()
    (root / "worker" / "worker.py").write_text(textwrap.dedent(HANDLER), encoding="utf-8")
    local_stack = LocalStack(
        root / "template.yaml",
        port=0,
        state_dir=root / ".local-stack",
        parameter_overrides={"RecordsFile": str(root / "records.jsonl")},
        seed_dev_team=lambda environment: type("Team", (), {"team_id": "team_1", "api_key": "key_1"})(),
    )
    with local_stack:
        yield local_stack


def _records(stack: LocalStack, prefix: str) -> list[dict[str, Any]]:
    path = Path(stack.functions[0].environment["RECORDS_FILE"])
    lines = path.read_text().splitlines() if path.exists() else []
    return [record for record in map(json.loads, lines) if record["body"].startswith(prefix)]


def _eventually(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def queue_urls(stack: LocalStack) -> dict[str, str]:
    sqs = stack.aws.client("sqs")
    return {
        name: sqs.get_queue_url(QueueName=f"galleria-{name}")["QueueUrl"]
        for name in ("Jobs", "JobsDeadLetters")
    }


def test_batch_size_one_jobs_run_in_parallel(stack: LocalStack, queue_urls: dict[str, str]) -> None:
    stack.aws.client("sqs").send_message_batch(
        QueueUrl=queue_urls["Jobs"],
        Entries=[{"Id": str(index), "MessageBody": f"slow-{index}"} for index in range(3)],
    )

    _eventually(lambda: len(_records(stack, "slow")) == 3)

    records = _records(stack, "slow")
    assert max(record["start"] for record in records) < min(record["end"] for record in records)


def test_a_failing_message_is_redriven_to_the_dead_letter_queue(
    stack: LocalStack, queue_urls: dict[str, str]
) -> None:
    sqs = stack.aws.client("sqs")
    sqs.send_message(QueueUrl=queue_urls["Jobs"], MessageBody="fail-1")
    sqs.send_message(QueueUrl=queue_urls["Jobs"], MessageBody="ok-1")

    def dead_letters() -> list[str]:
        response = sqs.receive_message(QueueUrl=queue_urls["JobsDeadLetters"], VisibilityTimeout=0)
        return [message["Body"] for message in response.get("Messages", [])]

    _eventually(lambda: dead_letters() == ["fail-1"])

    assert [record["count"] for record in _records(stack, "fail")] == ["1", "2"]
    assert [record["count"] for record in _records(stack, "ok")] == ["1"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_urls["Jobs"], AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
