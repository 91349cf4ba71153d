"""Counting what the AWS SDK does during a piece of work, with botocore event hooks.

moto reports a constant ConsumedCapacity, so reads are counted as DynamoDB does bill them by
item: ScannedCount of each Query, the records a BatchGetItem returns, one per GetItem. The time
from a call's before-call event to its after-call event (serialising, the service answering,
parsing) is added up per service.

DynamoDB's request units are estimated from the items' sizes, by DynamoDB's rules (attribute names
and values in UTF-8, numbers about a byte per two digits, 3 bytes per list or map plus one per
element): a read is one unit per 4 KB (half for an eventually consistent one, a Query's items
summed first), a write one per 1 KB, and each global secondary index whose keys the written item
carries one more write of the item (indexes here project ALL; an update that moves an item
between index keys costs two there, counted as one). Transactions cost twice. An UpdateItem is
sized by the item after it (DynamoDB takes the larger of before and after; a transaction's
ConditionCheck likewise by the item it checks), read back with a client of its own, uncounted; a
DeleteItem counts one unit, its indexes none. The units are worked out when the block ends, so
that none of this is in the time of the work inside it.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_STARTED = "bench-call-started"
_PARAMS = "bench-call-params"
READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024


@dataclass
class CallCount:
    calls: Counter[str] = field(default_factory=Counter)  # by operation name
    by_service: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    seconds: Counter[str] = field(default_factory=Counter)  # by service
    items_read: int = 0
    read_units: float = 0.0  # DynamoDB read request units (estimated, see the module docstring)
    write_units: float = 0.0  # DynamoDB write request units, indexes included

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


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


_SIZES: dict[str, Callable[[Any], int]] = {
    "S": lambda s: len(s.encode()),
    "N": _number_size,
    "B": len,
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
    "SS": lambda values: sum(len(s.encode()) for s in values),
    "NS": lambda values: sum(_number_size(n) for n in values),
    "BS": lambda values: sum(len(b) for b in values),
    "L": lambda values: 3 + sum(value_size(v) + 1 for v in values),
    "M": lambda values: 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in values.items()),
}


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value (``{"S": ...}``) by DynamoDB's item-size rules."""
    (kind, content), *_ = value.items()
    return _SIZES[kind](content)


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes of an item (attribute names and values) by DynamoDB's rules."""
    return sum(len(name.encode()) + value_size(v) for name, v in item.items())


def read_units(total_bytes: int, *, consistent: bool, transactional: bool = False) -> float:
    units = max(1, math.ceil(total_bytes / READ_UNIT_BYTES)) * (1.0 if consistent else 0.5)
    return units * (2 if transactional else 1)


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))


class DynamoSizer:
    """What a DynamoDB call costs in request units, reading items back (uncounted) when the call
    does not carry them, and each table's global secondary indexes (DescribeTable, once)."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._client: Any = None
        self._indexes: dict[str, list[list[str]]] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("dynamodb", region_name=self.region)
        return self._client

    def index_keys(self, table: str) -> list[list[str]]:
        """The key attribute names of each of ``table``'s global secondary indexes."""
        if table not in self._indexes:
            described = self.client.describe_table(TableName=table)["Table"]
            self._indexes[table] = [
                [key["AttributeName"] for key in index["KeySchema"]]
                for index in described.get("GlobalSecondaryIndexes", [])
            ]
        return self._indexes[table]

    def stored(self, table: str, key: Mapping[str, Any]) -> Mapping[str, Any] | None:
        found: Mapping[str, Any] | None = self.client.get_item(
            TableName=table, Key=key, ConsistentRead=True
        ).get("Item")
        return found

    def write(self, table: str, item: Mapping[str, Any] | None, *, transactional: bool = False) -> float:
        """Units of writing ``item`` (None: an item of unknown size, deleted or missing)."""
        size = item_size(item) if item else 0
        units = float(write_units(size)) * (2 if transactional else 1)
        if item:
            carried = [keys for keys in self.index_keys(table) if all(k in item for k in keys)]
            units += len(carried) * write_units(size)
        return units

    def units(
        self, operation: str, params: Mapping[str, Any], parsed: Mapping[str, Any]
    ) -> tuple[float, float]:
        """(read units, write units) of one call."""
        if operation in _READS:
            return _READS[operation](params, parsed), 0.0
        if operation in _WRITES:
            return 0.0, _WRITES[operation](self, params)
        return 0.0, 0.0

    def update(self, params: Mapping[str, Any]) -> float:
        table = params["TableName"]
        return self.write(table, self.stored(table, params["Key"]))

    def batch_write(self, params: Mapping[str, Any]) -> float:
        return sum(
            self.write(table, request.get("PutRequest", {}).get("Item"))
            for table, requests in params.get("RequestItems", {}).items()
            for request in requests
        )

    def transact_write(self, params: Mapping[str, Any]) -> float:
        writes = 0.0
        for entry in params.get("TransactItems", []):
            (kind, part), *_ = entry.items()
            table = part["TableName"]
            item = part["Item"] if kind == "Put" else None
            if kind in ("Update", "ConditionCheck"):
                item = self.stored(table, part["Key"])
            writes += self.write(table, item, transactional=True)
        return writes


def _get(params: Mapping[str, Any], parsed: Mapping[str, Any]) -> float:
    return read_units(item_size(parsed.get("Item", {})), consistent=bool(params.get("ConsistentRead")))


def _query(params: Mapping[str, Any], parsed: Mapping[str, Any]) -> float:
    items = parsed.get("Items", [])
    scanned, returned = int(parsed.get("ScannedCount", 0)), int(parsed.get("Count", len(items)))
    size = sum(item_size(item) for item in items)
    if items and scanned > returned:  # a filter dropped some: they were read all the same
        size = round(size * scanned / returned)
    elif not items and scanned:
        size = scanned * WRITE_UNIT_BYTES  # counted, not returned: about 1 KB each
    return read_units(size, consistent=bool(params.get("ConsistentRead")))


def _batch_get(params: Mapping[str, Any], parsed: Mapping[str, Any]) -> float:
    reads = 0.0
    for table, records in parsed.get("Responses", {}).items():
        strong = bool(params.get("RequestItems", {}).get(table, {}).get("ConsistentRead"))
        reads += sum(read_units(item_size(r), consistent=strong) for r in records)
    return reads


def _transact_get(_: Mapping[str, Any], parsed: Mapping[str, Any]) -> float:
    return sum(
        read_units(item_size(r.get("Item", {})), consistent=True, transactional=True)
        for r in parsed.get("Responses", [])
    )


_READS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], float]] = {
    "GetItem": _get,
    "Query": _query,
    "Scan": _query,
    "BatchGetItem": _batch_get,
    "TransactGetItems": _transact_get,
}
_WRITES: dict[str, Callable[[DynamoSizer, Mapping[str, Any]], float]] = {
    "PutItem": lambda sizer, params: sizer.write(params["TableName"], params["Item"]),
    "UpdateItem": DynamoSizer.update,
    "DeleteItem": lambda sizer, params: sizer.write(params["TableName"], None),
    "BatchWriteItem": DynamoSizer.batch_write,
    "TransactWriteItems": DynamoSizer.transact_write,
}


@contextmanager
def counting(*clients: Any) -> Iterator[CallCount]:
    """Count (and time) every call the given boto3 clients make inside the block."""
    count = CallCount()
    dynamodb: list[tuple[str, dict[str, Any], dict[str, Any]]] = []  # priced when the block ends
    regions = [c.meta.region_name for c in clients if c.meta.service_model.service_name == "dynamodb"]

    def before_parameters(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = params

    def before_call(context: dict[str, Any], **_: Any) -> None:
        context[_STARTED] = time.perf_counter()

    def after_call(parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        count.record(service, model.name, parsed)
        if _STARTED in context:
            count.seconds[service] += time.perf_counter() - context.pop(_STARTED)
        params = context.pop(_PARAMS, None)
        if service == "dynamodb" and params is not None:
            dynamodb.append((model.name, params, parsed))  # list.append is atomic: threads may call

    for client in clients:
        client.meta.events.register("before-parameter-build.*.*", before_parameters, unique_id="bench-params")
        client.meta.events.register("before-call.*.*", before_call, unique_id="bench-call-start")
        client.meta.events.register("after-call.*.*", after_call, unique_id="bench-call-count")
    try:
        yield count
    finally:
        for client in clients:
            client.meta.events.unregister("before-parameter-build.*.*", unique_id="bench-params")
            client.meta.events.unregister("before-call.*.*", unique_id="bench-call-start")
            client.meta.events.unregister("after-call.*.*", unique_id="bench-call-count")
    if dynamodb:
        sizer = DynamoSizer(regions[0] if regions else "us-east-1")
        for operation, params, parsed in dynamodb:
            reads, writes = sizer.units(operation, params, parsed)
            count.read_units += reads
            count.write_units += writes


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
