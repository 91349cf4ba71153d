"""Counting what the AWS SDK does during a piece of work, with botocore event hooks.

moto reports a constant ConsumedCapacity, so reads are counted as DynamoDB does bill them by
item: ScannedCount of each Query, the records a BatchGetItem returns, one per GetItem. The time
from a call's before-call event to its after-call event (serialising, the service answering,
parsing) is added up per service.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_STARTED = "bench-call-started"


@dataclass
class CallCount:
    calls: Counter[str] = field(default_factory=Counter)  # by operation name
    by_service: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    seconds: Counter[str] = field(default_factory=Counter)  # by service
    items_read: int = 0

    def record(self, service: str, operation: str, parsed: dict[str, Any]) -> None:
        self.calls[operation] += 1
        self.by_service[service][operation] += 1
        if operation in ("Query", "Scan"):
            self.items_read += int(parsed.get("ScannedCount", 0))
        elif operation == "BatchGetItem":
            self.items_read += sum(len(records) for records in parsed.get("Responses", {}).values())
        elif operation == "GetItem":
            self.items_read += "Item" in parsed

    def total(self, service: str | None = None) -> int:
        """Calls to ``service``, or to every service."""
        if service is not None:
            return sum(self.by_service[service].values())
        return sum(self.calls.values())


@contextmanager
def counting(*clients: Any) -> Iterator[CallCount]:
    """Count (and time) every call the given boto3 clients make inside the block."""
    count = CallCount()

    def before_call(context: dict[str, Any], **_: Any) -> None:
        context[_STARTED] = time.perf_counter()

    def after_call(parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        count.record(service, model.name, parsed)
        if _STARTED in context:
            count.seconds[service] += time.perf_counter() - context.pop(_STARTED)

    for client in clients:
        client.meta.events.register("before-call.*.*", before_call, unique_id="bench-call-start")
        client.meta.events.register("after-call.*.*", after_call, unique_id="bench-call-count")
    try:
        yield count
    finally:
        for client in clients:
            client.meta.events.unregister("before-call.*.*", unique_id="bench-call-start")
            client.meta.events.unregister("after-call.*.*", unique_id="bench-call-count")


@contextmanager
def galleria_clients() -> Iterator[list[Any]]:
    """Every boto3 client galleria calls AWS with, while open: its own (galleria.aws, also handed to
    Powertools Idempotency) and those of Powertools Parameters (the media signing secret, provider
    keys in SSM), created here as Parameters would on first use and dropped after."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    from galleria import aws

    saved = dict(DEFAULT_PROVIDERS)
    secrets = DEFAULT_PROVIDERS.setdefault("secrets", SecretsProvider())
    ssm = DEFAULT_PROVIDERS.setdefault("ssm", SSMProvider())
    try:
        yield [aws.client("dynamodb"), aws.client("s3"), aws.client("sqs"), secrets.client, ssm.client]
    finally:
        DEFAULT_PROVIDERS.clear()
        DEFAULT_PROVIDERS.update(saved)


def forget_cached_parameters() -> None:
    """Empty Powertools Parameters' caches (keeping its clients), as a cold start finds them."""
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    for provider in DEFAULT_PROVIDERS.values():
        provider.clear_cache()
