"""Counting what the AWS SDK does during a piece of work, with botocore event hooks.

moto reports a constant ConsumedCapacity, so reads are counted as DynamoDB does bill them by
item: ScannedCount of each Query, the records a BatchGetItem returns, one per GetItem.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CallCount:
    calls: Counter[str] = field(default_factory=Counter)
    items_read: int = 0

    def record(self, operation: str, parsed: dict[str, Any]) -> None:
        self.calls[operation] += 1
        if operation in ("Query", "Scan"):
            self.items_read += int(parsed.get("ScannedCount", 0))
        elif operation == "BatchGetItem":
            self.items_read += sum(len(records) for records in parsed.get("Responses", {}).values())
        elif operation == "GetItem":
            self.items_read += "Item" in parsed


@contextmanager
def counting(*clients: Any) -> Iterator[CallCount]:
    """Count every call the given boto3 clients make inside the block."""
    count = CallCount()

    def after_call(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        count.record(model.name, parsed)

    for client in clients:
        client.meta.events.register("after-call.*.*", after_call, unique_id="bench-call-count")
    try:
        yield count
    finally:
        for client in clients:
            client.meta.events.unregister("after-call.*.*", unique_id="bench-call-count")
