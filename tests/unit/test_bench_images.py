"""The image-pipeline benchmark (bench/image_pipeline.py) still runs the service's own imaging code:
a tiny run must time every step and make the thumbnails and PNG the API promises. pyvips is a
benchmark-only dependency, so its half is skipped where it is not installed."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from media_samples import decode

ROOT = Path(__file__).resolve().parents[2]
SIDES = {"png_side": 600, "jpeg_side": 640}  # above the 512 thumbnail, so both sizes shrink


def assert_promised_outputs(fixture_data: bytes, outputs: dict[str, bytes]) -> None:
    assert decode(outputs["thumb-512"]).size == (512, 512)
    assert decode(outputs["thumb-256"]).size == (256, 256)
    assert {decode(outputs[name]).format for name in ("thumb-512", "thumb-256")} == {"WEBP"}
    download = decode(outputs["download PNG"])
    assert download.format == "PNG"
    assert download.convert("RGB").tobytes() == decode(fixture_data).convert("RGB").tobytes()


def test_the_galleria_side_runs_without_pyvips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.image_pipeline import FLOOR, GALLERIA, run

    results, text = run(**SIDES, runs=1, with_pyvips=False)

    assert [result.fixture.name for result in results] == ["600² PNG", "640² JPEG"]
    for result in results:
        assert_promised_outputs(result.fixture.data, result.outputs[GALLERIA])
        assert all(
            seconds > 0 for steps in result.seconds.values() for times in steps.values() for seconds in times
        )
        assert result.ratio(GALLERIA, FLOOR) > 0
    assert "| 600² PNG | **per image** |" in text
    assert "| 640² JPEG | download PNG | " in text and "| exact |" in text


def test_pyvips_makes_the_same_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyvips")
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.image_pipeline import GALLERIA, PYVIPS, run

    results, text = run(**SIDES, runs=1, with_pyvips=True)

    for result in results:
        assert_promised_outputs(result.fixture.data, result.outputs[PYVIPS])
        assert math.isfinite(result.ratio(GALLERIA, PYVIPS))
    assert "libvips 8." in text
    assert "n/a" not in text
