"""SQS event source mappings: poll a queue, invoke the function with a batch, delete what succeeded.

Failed messages are left alone: they come back after the visibility timeout, and SQS's redrive policy
moves them to the dead-letter queue after maxReceiveCount receives (moto does this on receive).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from galleria_local.functions import SqsSource
from galleria_local.intrinsics import REGION
from galleria_local.runtime import FunctionPool, InvocationResult

if TYPE_CHECKING:  # the stubs are a development dependency, only for the type checker
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import (
        ChangeMessageVisibilityBatchRequestEntryTypeDef,
        DeleteMessageBatchRequestEntryTypeDef,
        MessageAttributeValueOutputTypeDef,
        MessageTypeDef,
    )

logger = logging.getLogger(__name__)

_MAX_RECEIVE = 10  # SQS's ceiling per ReceiveMessage
_LONG_POLL_SECONDS = 1  # short, so that stop() returns quickly
_ERROR_BACKOFF_SECONDS = 1.0


class SqsPoller:
    """One mapping: `maximum_concurrency` threads, each with one batch in flight at a time."""

    def __init__(
        self,
        source: SqsSource,
        queue_url: str,
        pool: FunctionPool,
        sqs: SQSClient,
        *,
        retry_delay_seconds: int | None = None,
    ) -> None:
        self.source = source
        self._queue_url = queue_url
        self._pool = pool
        self._sqs = sqs
        self._retry_delay_seconds = retry_delay_seconds
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        # moto's ReceiveMessage is not atomic: concurrent receives could hand out one message twice.
        self._receive_lock = threading.Lock()

    def start(self) -> None:
        for index in range(self.source.maximum_concurrency):
            thread = threading.Thread(
                target=self._run, name=f"{self.source.function_id}-sqs-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def request_stop(self) -> None:
        """Stop receiving; batches in flight finish (or fail, once their function pool is closed)."""
        self._stopping.set()

    def join(self) -> None:
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def poll_once(self) -> bool:
        """Receive one batch and hand it to the function; False when the queue had nothing."""
        messages = self._receive()
        if not messages:
            return False
        result = self._pool.invoke({"Records": [self._record(message) for message in messages]})
        failed = self._failed_ids(result, messages)
        self._delete([message for message in messages if message["MessageId"] not in failed])
        if failed and not self._stopping.is_set():
            self._report_failure(result, len(failed), len(messages))
            if self._retry_delay_seconds is not None:
                retried = [message for message in messages if message["MessageId"] in failed]
                self._delay_retry(retried, self._retry_delay_seconds)
        return True

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # keep polling, as an event source mapping does
                if self._stopping.is_set():
                    return
                logger.warning("%s: polling %s failed: %s", self.source.function_id, self._queue_url, exc)
                self._stopping.wait(_ERROR_BACKOFF_SECONDS)

    def _receive(self) -> list[MessageTypeDef]:
        """Up to BatchSize messages, gathered for at most MaximumBatchingWindowInSeconds."""
        wanted = self.source.batch_size
        window_ends = time.monotonic() + self.source.maximum_batching_window_seconds
        messages: list[MessageTypeDef] = []
        while True:
            with self._receive_lock:
                if self._stopping.is_set():
                    return messages
                response = self._sqs.receive_message(
                    QueueUrl=self._queue_url,
                    MaxNumberOfMessages=min(wanted - len(messages), _MAX_RECEIVE),
                    WaitTimeSeconds=_LONG_POLL_SECONDS,
                    MessageSystemAttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            messages += response.get("Messages", [])
            if len(messages) >= wanted or time.monotonic() >= window_ends:
                return messages

    def _record(self, message: MessageTypeDef) -> dict[str, Any]:
        """An SQS message as Lambda's SQS event record."""
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: _message_attribute(value)
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.source.queue_arn,
            "awsRegion": REGION,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record

    def _failed_ids(self, result: InvocationResult, messages: Sequence[MessageTypeDef]) -> set[str]:
        batch = {message["MessageId"] for message in messages}
        if result.error is not None:
            return batch
        if not self.source.report_batch_item_failures:
            return set()
        return batch_item_failures(result.payload, batch)

    def _delete(self, messages: Sequence[MessageTypeDef]) -> None:
        for start in range(0, len(messages), _MAX_RECEIVE):
            chunk = messages[start : start + _MAX_RECEIVE]
            entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(chunk)
            ]
            self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)

    def _delay_retry(self, messages: Sequence[MessageTypeDef], delay_seconds: int) -> None:
        for start in range(0, len(messages), _MAX_RECEIVE):
            chunk = messages[start : start + _MAX_RECEIVE]
            entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
                {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": delay_seconds}
                for index, m in enumerate(chunk)
            ]
            self._sqs.change_message_visibility_batch(QueueUrl=self._queue_url, Entries=entries)

    def _report_failure(self, result: InvocationResult, failed: int, total: int) -> None:
        reason = f"{result.error.error_type}: {result.error.message}" if result.error else "batchItemFailures"
        logger.warning(
            "%s: %d of %d SQS messages failed (%s); they return after the visibility timeout",
            self.source.function_id,
            failed,
            total,
            reason,
        )


def batch_item_failures(response: Any, batch: set[str]) -> set[str]:
    """The message ids a ReportBatchItemFailures response names, judged as Lambda judges it.

    No response, `{}` or an empty/null `batchItemFailures` mean success; a malformed response or an
    identifier that is empty or not in the batch fails the whole batch.
    """
    if response is None:
        return set()
    if not isinstance(response, dict):
        return batch
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return batch
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in batch:
            return batch
        failed.add(identifier)
    return failed


def _message_attribute(value: MessageAttributeValueOutputTypeDef) -> dict[str, Any]:
    """SQS's `{"StringValue", "BinaryValue", "DataType"}` in Lambda's camelCase, binary as base64."""
    attribute: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute
