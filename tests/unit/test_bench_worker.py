"""The worker-overhead benchmark (bench/worker_overhead.py) still runs the real generation worker:
one round must time every part, store every image, and print the table."""

from __future__ import annotations

from pathlib import Path

import pytest

# `make unit` leaves these out: a round of the worker against its floors, seconds in all.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_one_round_times_the_worker_and_its_floors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.worker_overhead import measure, table

    samples = measure(rounds=1)

    for name, values in samples.values.items():
        assert len(values) == 1 and values[0] > 0, name
    assert {"worker 1", "worker 4", "image floor", "storage floor", "worker / floors 4"} <= set(
        samples.values
    )
    assert samples.median("S3 calls 1") > 0 and samples.median("image functions 4") > 0
    text = table(samples, rounds=1)
    assert "| worker / (both floors) |" in text and len(text.splitlines()) == 11
