"""The local stack throughput benchmark (bench/local_stack_throughput.py) still runs: a tiny bounded
run against a real local stack must measure every contender on both operations, count the requests
and errors, and print the table."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

# `make unit` leaves these out: a local stack and two bare servers under load, seconds in all.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 30


def test_a_tiny_run_measures_the_stack_and_the_bare_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.local_stack_throughput import CONTENDERS, GATEWAY, OPERATIONS, measure, table

    results = measure(clients=2, seconds=20, requests=REQUESTS, rounds=1, items=4, warmup=1)

    assert set(results.runs) == {(operation, name) for operation in OPERATIONS for name in CONTENDERS}
    for key, runs in results.runs.items():
        (run,) = runs
        assert run.errors == 0, key
        assert run.requests == REQUESTS, key
        assert run.rps > 0, key
        assert 0 < run.p50_ms <= run.p99_ms, key
        assert not math.isnan(run.server_cpu_seconds), key
    assert results.runs["get", GATEWAY][0].function_cpu_seconds > 0  # the function workers did work
    assert results.body_bytes["list"] > results.body_bytes["get"] > 0

    text = table(results)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(OPERATIONS) * len(CONTENDERS)
    bare_rows = [row for row in rows if row.split("|")[2].strip() == "bare"]
    assert all(row.split("|")[8].strip() == "1.000" for row in bare_rows)  # req/s ÷ bare
