"""The figures the bill estimates rather than measures or reads, and the assumptions printed under
the table (a ``~`` marks each quantity that rests on one)."""

from __future__ import annotations

import math

from bench.cost.template_facts import Deployment
from bench.cost.units import HOURS_PER_MONTH, SECONDS_PER_MONTH

LOG_COMPRESSION = 0.15  # archived log bytes per ingested byte (AWS's pricing calculator's factor)
SQS_POLLERS = 5  # an SQS event source mapping's idle pollers, each long-polling 20 s
EXPORT_STATUS_POLLS = 3  # the web app's backoff checks an export of a few seconds about 3 times
IDLE_MINUTES = 10  # an idle execution environment is reclaimed after about this long
ENVIRONMENT_HOURS = 2  # and a busy one is replaced about this often
TRACE_RESERVOIR = 1.0  # X-Ray's default rule: the first request each second, then 5 %
TRACE_RATE = 0.05
KMS_TABLE_KEY_REFRESHES_PER_HOUR = 12  # DynamoDB re-reads a table key about every 5 minutes in use
PROVIDER_KEY_SECONDS = 300  # the worker re-reads its provider key (SSM SecureString) this often
ONE_VCPU_MB = 1769  # Lambda's CPU share grows with memory: one vCPU at this much


def cold_starts(arrivals: float) -> float:
    """Cold starts a month of ``arrivals`` spread evenly (Poisson) make."""
    rate = arrivals / SECONDS_PER_MONTH
    after_idle = arrivals * math.exp(-rate * IDLE_MINUTES * 60)
    replaced = HOURS_PER_MONTH / ENVIRONMENT_HOURS * (1 - math.exp(-rate * ENVIRONMENT_HOURS * 3600))
    return after_idle + replaced


def traces_recorded(starts: float) -> float:
    """Of a function's month of trace-starting invocations, those X-Ray's default sampling rule
    records, at an even rate over the month."""
    rate = starts / SECONDS_PER_MONTH
    if rate <= TRACE_RESERVOIR:
        return starts
    return (TRACE_RESERVOIR + TRACE_RATE * (rate - TRACE_RESERVOIR)) * SECONDS_PER_MONTH


def assumptions(deployment: Deployment) -> tuple[str, ...]:
    memory = deployment.default_memory_mb
    return (
        "Prices are us-east-1 list prices without free tiers (--free-tier takes the always-free allowances "
        "off).",
        "Durations are warm handler wall times in-process against moto on this machine, rounded up to "
        f"the millisecond Lambda bills; real AWS calls take longer than moto's, and a {memory} MB function "
        f"has about {memory / ONE_VCPU_MB:.0%} of a vCPU (a full one at {ONE_VCPU_MB:,} MB), so real "
        "durations may be 2-4x these.",
        "The generation worker's time is its own: the model answers at once (the offline model renders each "
        "request once, then repeats it). Waiting on a real provider is billed too: see the line under the "
        "per-1,000 figure.",
        "~ Cold starts: Poisson arrivals spread evenly over the month; an environment idle for "
        f"{IDLE_MINUTES} min is reclaimed and a busy one replaced every {ENVIRONMENT_HOURS} h; INIT takes "
        "--init-seconds (bench/cold_start.py measures the import part of it).",
        "~ Lambda platform log lines (JSON: platform.start and platform.report) are sized from example "
        "records; the API access log line from the template's format, each $context variable as 12 bytes.",
        f"~ Archived logs are {LOG_COMPRESSION:.0%} of ingested bytes (compressed); retention is steady.",
        f"~ SQS event source mappings poll while idle: {SQS_POLLERS} pollers each, a ReceiveMessage per "
        "20 s.",
        "~ X-Ray: an invocation of a traced function records a trace unless it continues a traced request "
        "(a worker joins its request's trace through SQS). With ApiTracing=PassThrough the API functions "
        "trace nothing and each worker run (a generation job, an export) is a trace of its own; with Active "
        "each API request is one. Sampled by the default rule (first request each second per function, "
        "then 5 %) at an even rate over the month; uploads, dead letters and the daily purge are not in "
        "this workload.",
        f"~ KMS: DynamoDB asks aws/dynamodb for each SSEEnabled table's key about every 5 min in use "
        f"({KMS_TABLE_KEY_REFRESHES_PER_HOUR}/h, all month), one Decrypt per secret read and per "
        "provider-key read; S3 (SSE-S3) and SQS (SSE-SQS) use no KMS key of the account.",
        f"Exports: the web app polls an export {EXPORT_STATUS_POLLS} times; a ZIP of more than 8 MB is "
        "uploaded in 8 MB parts; it stays in S3 7 days (the exports/ lifecycle rule).",
        "DynamoDB storage: bytes of every table per stored image, measured on the bench gallery; "
        "point-in-time recovery on all of it.",
        "Thumbnails are fetched once per view (browser caching of the 5-minute redirects ignored).",
    )
