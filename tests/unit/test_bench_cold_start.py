"""The cold-start benchmark (bench/cold_start.py) still runs: one round over two functions of the
source tree must print both tables with a row per contender and sane numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# `make unit` leaves these out: fresh interpreters importing handlers, round after round, seconds in all.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BASELINES = ["baseline", "baseline + Tracer", "baseline + validation"]
FUNCTIONS = "GalleryApiFunction,TrashPurgeFunction"


def table_rows(text: str, header: str) -> dict[str, list[str]]:
    """The rows of the markdown table whose header starts with ``header``, by first cell."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(header))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_the_benchmark_measures_each_function_against_the_baselines() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.cold_start", "--source", "--rounds", "1", "--functions", FUNCTIONS],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    imports = table_rows(result.stdout, "| function | kind |")
    assert list(imports) == [*BASELINES, "GalleryApiFunction", "TrashPurgeFunction"]
    assert [imports[name][0] for name in imports] == ["baseline"] * 3 + ["api", "worker"]
    for name, (_, wall_ms, cpu_ms, wall_ratio, ratio, *_) in imports.items():
        assert float(wall_ms) > 0 and float(cpu_ms) > 0, name
        assert 0.2 < float(ratio) < 10 and 0.2 < float(wall_ratio) < 10, name
    assert imports["baseline"][4] == "1.00"
    assert imports["GalleryApiFunction"][7] in ("yes", "no") and imports["TrashPurgeFunction"][7] == "—"
    assert imports["GalleryApiFunction"][8] == "none", "an API function loaded Pillow, httpx or provider code"
    bytecode = table_rows(result.stdout, "| function | no bytecode ms |")
    assert list(bytecode) == list(imports)
    assert all(float(cell) > 0 for cells in bytecode.values() for cell in cells)
