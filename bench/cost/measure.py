"""One warm run of each operation against moto (bench/aws_calls_per_operation.py), with the bytes
the handlers log and the custom metrics they emit counted, and what the gallery's tables hold."""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bench.aws_calls import DynamoSizer, item_size
from bench.aws_calls_per_operation import (
    ENVIRONMENT,
    Row,
    build_gallery,
    measuring,
    operation_rows,
    workload_rows,
)
from bench.machine import machine

MEASURED_GALLERY = (30, 10)  # items, and the bulk ones exports take
MEASURED_EXPORT_ITEMS = 10


@dataclass(frozen=True)
class Measured:
    """One warm run of each operation (bench/aws_calls_per_operation.py) and what the gallery holds."""

    rows: Mapping[str, Row]
    dynamodb_bytes_per_image: float
    custom_metrics: int
    seconds_taken: float = 0.0
    machine: str = ""


class LogMeter(io.TextIOBase):
    """A stdout that counts the bytes written to it and the EMF metrics among its lines."""

    def __init__(self) -> None:
        self.bytes = 0
        self.metrics: set[tuple[str, str, tuple[str, ...]]] = set()
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        for line in lines:
            if '"_aws"' in line:
                self._metrics_of(line)
        return len(text)

    def _metrics_of(self, line: str) -> None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            for directive in json.loads(line)["_aws"]["CloudWatchMetrics"]:
                for dimensions in directive["Dimensions"]:
                    for metric in directive["Metrics"]:
                        self.metrics.add((directive["Namespace"], metric["Name"], tuple(dimensions)))


def measure(log_level: str = "INFO") -> Measured:
    """Run the operations once each (warm) on a fresh in-process stack (about 15 s), logging at
    ``log_level``."""
    started = time.perf_counter()
    meter = LogMeter()
    environment = ENVIRONMENT | {"POWERTOOLS_LOG_LEVEL": log_level, "POWERTOOLS_METRICS_DISABLED": "false"}
    with contextlib.redirect_stdout(meter), measuring(environment, lambda: meter.bytes) as measurer:
        gallery = build_gallery(measurer, *MEASURED_GALLERY)
        rows = [*operation_rows(measurer, gallery), *workload_rows(measurer, gallery, MEASURED_EXPORT_ITEMS)]
        per_image = dynamodb_bytes_per_image()
    return Measured(
        rows={row.operation: row for row in rows},
        dynamodb_bytes_per_image=per_image,
        custom_metrics=len(meter.metrics),
        seconds_taken=time.perf_counter() - started,
        machine=machine(),
    )


def dynamodb_bytes_per_image() -> float:
    """Stored bytes of every table (100 bytes of overhead per item, and per index entry, as
    DynamoDB bills), over the originals the bucket holds."""
    import boto3

    from galleria.config import get_settings

    dynamodb = boto3.client("dynamodb")
    sizer = DynamoSizer(dynamodb.meta.region_name)
    stored = 0
    for table in dynamodb.list_tables()["TableNames"]:
        indexes = sizer.index_keys(table)
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                copies = 1 + sum(all(key in item for key in keys) for keys in indexes)
                stored += copies * (item_size(item) + 100)
    s3 = boto3.client("s3")
    originals = sum(
        "/original." in entry["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=get_settings().media_bucket)
        for entry in page.get("Contents", [])
    )
    return stored / max(1, originals)
