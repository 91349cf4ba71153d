"""Measurements × workload × prices: the month's line items, and the bill they add up to."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace

from bench.cost.bill import Bill, Line, summed
from bench.cost.estimates import (
    KMS_TABLE_KEY_REFRESHES_PER_HOUR,
    LOG_COMPRESSION,
    PROVIDER_KEY_SECONDS,
    SQS_POLLERS,
    cold_starts,
    traces_recorded,
)
from bench.cost.invocations import Use, Work, function_of, uses
from bench.cost.measure import Measured
from bench.cost.template_facts import Deployment
from bench.cost.units import DAYS_PER_MONTH, GB, HOURS_PER_MONTH, SECONDS_PER_MONTH
from bench.cost.workload import Workload

API_METERING_BYTES = 512 * 1024  # HTTP API meters requests in 512 KB increments
PUT_CLASS = {
    "PutObject",
    "CopyObject",
    "CreateMultipartUpload",
    "UploadPart",
    "CompleteMultipartUpload",
    "ListObjectsV2",
    "ListObjects",
    "UploadPartCopy",
}
GET_CLASS = {"GetObject", "HeadObject", "HeadBucket", "GetObjectTagging"}


def price_bill(measured: Measured, deployment: Deployment, workload: Workload) -> Bill:
    """The month's bill: each use's invocations, downloads, traces, cold starts, storage, standing."""
    ledger = Ledger(measured, deployment, workload)
    for use in uses(measured, workload):
        ledger.invoke(use)
    ledger.downloads()
    ledger.traced()
    ledger.cold()
    ledger.storage()
    ledger.standing()
    by_group: dict[str, float] = defaultdict(float)
    for line in ledger.lines:
        by_group[line.group] += line.usd
    lines = summed(ledger.lines, free_tier=workload.free_tier)
    return Bill(workload, lines, tuple(ledger.lines), dict(by_group), ledger.starts, ledger.logs_bytes / GB)


class Ledger:
    """The month's line items, by operation group, as ``price_bill`` adds them up."""

    def __init__(self, measured: Measured, deployment: Deployment, workload: Workload) -> None:
        self.measured, self.deployment, self.workload = measured, deployment, workload
        self.traced_functions = deployment.traced_functions[workload.api_tracing]
        self.lines: list[Line] = []
        self.invocations: dict[str, float] = defaultdict(float)
        self.arrivals: dict[str, float] = defaultdict(float)
        self.trace_starts: dict[str, float] = defaultdict(float)
        self.logs_bytes = 0.0
        self.secret_reads = 0.0
        self.starts: dict[str, float] = {}

    def add(self, group: str, price: str, quantity: float, *, estimated: bool = False) -> None:
        if quantity:
            self.lines.append(Line(group, price, quantity, estimated))

    def invoke(self, use: Use) -> None:
        """One use's invocations: Lambda, API Gateway, the AWS calls, logs, traces."""
        n, work, group, add = use.per_month, use.work, use.group, self.add
        self.invocations[use.function] += n
        self.arrivals[use.function] += n if use.arrivals is None else use.arrivals
        add(group, "lambda.requests", n)
        gb = self.deployment.memory_mb[use.function] / 1024
        add(group, "lambda.gb_s", n * math.ceil(work.seconds * 1000) / 1000 * gb)
        add(group, "dynamodb.rru", n * work.read_units)
        add(group, "dynamodb.wru", n * work.write_units)
        add(group, "s3.put", n * _calls(work, "s3", PUT_CLASS))
        add(group, "s3.get", n * _calls(work, "s3", GET_CLASS))
        add(group, "sqs.requests", n * _calls(work, "sqs"))
        add(group, "secrets.api", n * _calls(work, "secretsmanager"))
        self.secret_reads += n * _calls(work, "secretsmanager")
        logged = n * (work.log_bytes + self.deployment.platform_log_bytes)
        if use.api:
            add(group, "apigw.requests", n * max(1, math.ceil(work.response_bytes / API_METERING_BYTES)))
            add(group, "transfer.out", n * work.response_bytes / GB)
            logged += n * self.deployment.access_log_bytes
        if use.function in self.traced_functions and use.continues not in self.traced_functions:
            self.trace_starts[use.function] += n
            add(group, "xray.traces", n, estimated=True)  # scaled to the sampled share in ``traced``
        add(group, "logs.ingest", logged / GB, estimated=True)
        self.logs_bytes += logged

    def downloads(self) -> None:
        """What browsers fetch straight from S3 through presigned URLs, and the exports kept there."""
        w, add = self.workload, self.add
        thumbnails = w.gallery_reads * w.thumbnails_per_read
        add("gallery read", "s3.get", thumbnails)
        add("gallery read", "transfer.out", thumbnails * w.thumbnail_kb * 1024 / GB)
        add("share view", "s3.get", w.share_views)
        add("share view", "transfer.out", w.share_views * w.thumbnail_kb * 1024 / GB)
        zip_gb = w.items_per_export * w.image_mb / 1024
        add("export", "s3.get", w.exports)
        add("export", "transfer.out", w.exports * zip_gb)
        add("export", "s3.storage", w.exports * zip_gb * 7 / 30)

    def traced(self) -> None:
        """X-Ray's default sampling, per function, of the invocations that start a trace."""
        starts = sum(self.trace_starts.values())
        if starts:
            share = sum(traces_recorded(n) for n in self.trace_starts.values()) / starts
            self.lines = [
                replace(line, quantity=line.quantity * share) if line.price == "xray.traces" else line
                for line in self.lines
            ]

    def cold(self) -> None:
        """INIT billed at each cold start, or SnapStart's restore and cache; the calls a cold start adds."""
        w, memory = self.workload, self.deployment.memory_mb
        self.starts = {function: cold_starts(n) for function, n in self.arrivals.items()}
        extra = _cold_extra(self.measured)
        for function, n in self.starts.items():
            gb = memory[function] / 1024
            if w.snapstart and function in self.deployment.snapstart_functions:
                self.add("cold starts", "lambda.snapstart_restore", n * gb, estimated=True)
            else:
                self.add("cold starts", "lambda.init_gb_s", n * w.init_seconds * gb, estimated=True)
            reads = n * extra.get(function, {}).get(("secretsmanager", "GetSecretValue"), 0.0)
            self.add("cold starts", "secrets.api", reads, estimated=True)
            self.secret_reads += reads
        for function in self.deployment.snapstart_functions if w.snapstart else ():
            self.add("standing", "lambda.snapstart_cache", memory[function] / 1024 * SECONDS_PER_MONTH)

    def storage(self) -> None:
        w = self.workload
        thumbs_mb = w.thumbnail_kb * (1 + 0.25) / 1024  # 512 px and 256 px
        table_gb = w.stored_gb * 1024 / (w.image_mb + thumbs_mb) * self.measured.dynamodb_bytes_per_image / GB
        self.add("storage", "s3.storage", w.stored_gb)
        self.add("storage", "dynamodb.storage", table_gb)
        self.add("storage", "dynamodb.pitr", table_gb)
        kept = self.logs_bytes / GB * LOG_COMPRESSION * w.log_retention_days / DAYS_PER_MONTH
        self.add("storage", "logs.storage", kept, estimated=True)

    def standing(self) -> None:
        """What the stack costs standing still: secrets, alarms, metrics, idle pollers, key reads."""
        d, add = self.deployment, self.add
        add("standing", "secrets.secrets", d.secrets)
        add("standing", "cloudwatch.alarms", d.alarms)
        add("standing", "cloudwatch.metrics", self.measured.custom_metrics)
        add(
            "standing",
            "sqs.requests",
            d.sqs_event_sources * SQS_POLLERS * SECONDS_PER_MONTH / 20,
            estimated=True,
        )
        worker = self.invocations.get("GenerationWorkerFunction", 0.0)
        provider_keys = min(worker, SECONDS_PER_MONTH / PROVIDER_KEY_SECONDS)
        provider_keys += self.starts.get("GenerationWorkerFunction", 0.0)
        table_keys = d.kms_tables * KMS_TABLE_KEY_REFRESHES_PER_HOUR * HOURS_PER_MONTH
        add("standing", "kms.requests", table_keys + self.secret_reads + provider_keys, estimated=True)


def _calls(work: Work, service: str, operations: set[str] | None = None) -> float:
    return sum(
        n for (s, op), n in work.calls.items() if s == service and (operations is None or op in operations)
    )


def _cold_extra(measured: Measured) -> dict[str, dict[tuple[str, str], float]]:
    """The calls a cold start adds, per function: the most any of its rows showed."""
    extra: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    for name, row in measured.rows.items():
        function = function_of(name)
        for key, n in row.cold_extra.items():
            extra[function][key] = max(extra[function].get(key, 0.0), n)
    return extra
