"""The export benchmark (bench/export_memory.py) still runs the real worker end to end: a tiny
export through its measuring function must come back as a whole archive."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGE_BYTES = 100 * 1024


def test_the_benchmark_measures_a_real_export(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.export_memory import measure, object_chunks

    measurement, s3 = measure(3, IMAGE_BYTES, repeats=1, keep=True)

    assert s3.archive is not None
    archive = zipfile.ZipFile(io.BytesIO(s3.archive))
    assert archive.testzip() is None
    names = archive.namelist()
    assert len(names) == 4 and names[-1] == "manifest.json"
    manifest = json.loads(archive.read("manifest.json"))
    assert [entry["file"] for entry in manifest["items"]] == names[:3] and manifest["missing"] == []
    for key, size in s3.sizes.items():
        entry = next(name for name in names if key.split("/")[-2] in name)
        assert archive.read(entry) == b"".join(object_chunks(key, size, 1 << 20))
    # Each timed run writes its own manifest (its own timestamp), which deflates a few bytes apart.
    assert measurement.images == 3 and abs(measurement.archive_bytes - len(s3.archive)) < 64
    assert measurement.seconds > 0 and measurement.peak_traced_mb > 0
