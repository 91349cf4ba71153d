"""Export worker: peak memory and throughput as the export grows, next to ``zip -0``.

The real ExportWorker (galleria.exports.worker) runs an export job started through ExportService
against moto's DynamoDB (tables from template.yaml, item records written with to_record). S3 is a
stand-in client, not moto: moto keeps every object and uploaded part in this very process, which
would swamp what the worker holds. The stand-in serves each original as a streaming body whose
chunks are made on the fly (incompressible bytes, sliced from a random pool), and discards the
uploaded parts after taking their CRC32 as botocore would. So the measured memory is the worker's
(plus the small part of moto's DynamoDB its own calls allocate).

Each size runs in a fresh subprocess so sizes share no high-water mark. There, after a one-image
warm-up export (lazy imports, first calls), the export runs three times without tracemalloc, for the
seconds (the best of three) and the peak RSS growth (the kernel's high-water mark is reset
first; growth is over the RSS just before), then once under tracemalloc for the peak of Python
allocations. Then the same bytes are written as files to a temporary folder and ``zip -0 -q`` is
timed on them (best of three; it reads them from the page cache and writes its archive to disk,
where the worker hands its parts to the stand-in). MB here are MiB (2**20 bytes).
Target: flat (500 images within 20% of 50) and under 256 MB.

    .venv/bin/python -m bench.export_memory [--sizes 50,500] [--image-mb 2]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bench.machine import machine

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import WriteRequestTypeDef
    from mypy_boto3_s3 import S3Client

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
RESULT = "RESULT "
_POOL = os.urandom(4 * MB + 4099)  # incompressible; each object starts at its own offset


def object_chunks(key: str, size: int, chunk_size: int) -> Generator[bytes]:
    """The bytes of object ``key`` (``size`` long), as fresh bytes objects, like a socket read."""
    position = zlib.crc32(key.encode()) % len(_POOL)
    remaining = size
    while remaining:
        take = min(remaining, chunk_size, len(_POOL) - position)
        yield _POOL[position : position + take]
        remaining -= take
        position = (position + take) % len(_POOL)


class GeneratedBody:
    """What botocore's StreamingBody offers the worker: read(n), iter_chunks(n), close()."""

    def __init__(self, key: str, size: int) -> None:
        self._chunks = object_chunks(key, size, 64 * 1024)
        self._pending = b""

    def read(self, amt: int | None = None) -> bytes:
        wanted = sys.maxsize if amt is None else amt
        parts = [self._pending]
        have = len(self._pending)
        while have < wanted:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        self._pending = data[wanted:] if amt is not None else b""
        return data[:wanted] if amt is not None else data

    def iter_chunks(self, chunk_size: int = 1024) -> Iterator[bytes]:
        while chunk := self.read(chunk_size):
            yield chunk

    def close(self) -> None:
        self._chunks.close()


class GeneratedS3:
    """An S3 client for MediaStorage: originals made on the fly, uploads counted and dropped.

    ``keep`` holds the last stored archive (for the smoke test); the benchmark keeps nothing.
    """

    def __init__(self, keep: bool = False) -> None:
        self.sizes: dict[str, int] = {}
        self.keep = keep
        self.bytes_received = 0
        self.archive: bytes | None = None
        self._parts: dict[str, list[bytes]] = {}

    @property
    def client(self) -> S3Client:
        """This stand-in where an S3 client is taken: it has what MediaStorage calls."""
        return cast("S3Client", self)

    def add(self, key: str, size: int) -> None:
        self.sizes[key] = size

    def get_object(self, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        if Key not in self.sizes:
            error = {"Error": {"Code": "NoSuchKey", "Message": Key}}
            raise ClientError(error, "GetObject")  # type: ignore[arg-type]
        return {"Body": GeneratedBody(Key, self.sizes[Key]), "ContentLength": self.sizes[Key]}

    def put_object(self, Bucket: str, Key: str, Body: Any, **_: Any) -> dict[str, Any]:
        self._receive(Key, Body)
        self._store(Key)
        return {"ETag": '"put"'}

    def create_multipart_upload(self, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        self._parts[Key] = []
        return {"UploadId": f"upload-{Key}"}

    def upload_part(self, Bucket: str, Key: str, Body: Any, PartNumber: int, **_: Any) -> dict[str, Any]:
        checksum = self._receive(Key, Body)
        return {"ETag": f'"part-{PartNumber}"', "ChecksumCRC32": checksum}

    def complete_multipart_upload(self, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        self._store(Key)
        return {"ETag": '"complete"'}

    def abort_multipart_upload(self, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        self._parts.pop(Key, None)
        return {}

    def _receive(self, key: str, body: Any) -> str:
        """Count the body and take its CRC32 (botocore does, for ChecksumAlgorithm=CRC32)."""
        self.bytes_received += len(body)
        if self.keep:
            self._parts.setdefault(key, []).append(bytes(body))
        return base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()

    def _store(self, key: str) -> None:
        parts = self._parts.pop(key, [])
        self.archive = b"".join(parts) if self.keep else None


@dataclass
class Measurement:
    images: int
    total_mb: float
    archive_bytes: int
    peak_traced_mb: float
    peak_rss_growth_mb: float | None
    seconds: float
    mb_per_s: float


@contextmanager
def local_stack() -> Iterator[None]:
    """moto in-process with the tables, bucket and queues of template.yaml and the functions'
    environment; os.environ and galleria's cached settings and clients are restored after."""
    from galleria_local.in_process import in_process_stack

    quiet = {
        "MEDIA_SIGNING_KEY": "bench",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    with in_process_stack(overrides=quiet):
        yield


def seed_items(team_id: str, count: int, image_bytes: int, s3: GeneratedS3) -> list[str]:
    """``count`` live PNG items of ``team_id`` in the items table, their originals in ``s3``."""
    from galleria import aws, clock
    from galleria.domain.items import Item, Rendition
    from galleria.items.records import to_record
    from galleria.items.repository import ItemsRepository

    table = ItemsRepository().table
    ids = []
    records: list[WriteRequestTypeDef] = []
    start_ms = 1_700_000_000_000
    for n in range(count):
        created = clock.iso(datetime.fromtimestamp((start_ms + n * 60_000) / 1000, tz=UTC))
        item_id = f"gal_{n:026d}"
        key = f"teams/{team_id}/items/{item_id}/original.png"
        item = Item(
            id=item_id,
            team_id=team_id,
            prompt=f"Export benchmark picture {n}",
            model="local/procedural",
            width=1024,
            height=1024,
            mime_type="image/png",
            file_size=image_bytes,
            tags=["bench"],
            sha256="0" * 64,
            object_keys={Rendition.ORIGINAL: key},
            storage_bytes=image_bytes,
            created_at=created,
            updated_at=created,
        )
        s3.add(key, image_bytes)
        ids.append(item_id)
        records.append({"PutRequest": {"Item": to_record(item)}})
    dynamodb = aws.client("dynamodb")
    for start in range(0, len(records), 25):
        dynamodb.batch_write_item(RequestItems={table: records[start : start + 25]})
    return ids


def _current_rss() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (Linux 4.0+), which ru_maxrss reports."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _peak_rss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux


def measure(
    images: int, image_bytes: int, *, repeats: int = 3, keep: bool = False
) -> tuple[Measurement, GeneratedS3]:
    """Export ``images`` originals of ``image_bytes`` each with the real worker; see the module
    docstring for what is counted. The seconds are the best of ``repeats`` untraced exports.
    With ``keep`` the stand-in S3 holds the (last) archive."""
    from galleria.accounts import admin
    from galleria.accounts.repository import AccountsRepository
    from galleria.config import get_settings
    from galleria.domain.jobs import JobStatus
    from galleria.domain.teams import Plan
    from galleria.exports.service import ExportService
    from galleria.exports.worker import ExportWorker
    from galleria.storage import MediaStorage

    with local_stack():
        team = admin.create_team(AccountsRepository(), name="bench", plan=Plan.ENTERPRISE, credits=0)
        s3 = GeneratedS3(keep=keep)
        item_ids = seed_items(team.id, images, image_bytes, s3)
        worker = ExportWorker(storage=MediaStorage(bucket=get_settings().media_bucket, client=s3.client))
        service = ExportService()

        def export(ids: list[str]) -> float:
            job = service.start(team.id, ids, "original")
            began = time.perf_counter()
            done = worker.run(job.id)
            seconds = time.perf_counter() - began
            if done is None or done.status is not JobStatus.SUCCEEDED or done.export is None:
                raise RuntimeError(f"the export did not succeed: {done}")
            if done.export.item_count != len(ids):
                raise RuntimeError(f"the export holds {done.export.item_count} of {len(ids)} items")
            return seconds

        export(item_ids[:1])  # warm-up: lazy imports and first calls are not the export's cost
        baseline = _current_rss()
        if baseline is None or not _reset_peak_rss():
            baseline = _peak_rss()  # no reset: growth of the high-water mark over setup's
        received = s3.bytes_received
        seconds = min(export(item_ids) for _ in range(repeats))
        rss_growth = max(0, _peak_rss() - baseline)
        archive_bytes = (s3.bytes_received - received) // repeats

        tracemalloc.start()
        export(item_ids)
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    total = images * image_bytes
    measurement = Measurement(
        images=images,
        total_mb=total / MB,
        archive_bytes=archive_bytes,
        peak_traced_mb=traced_peak / MB,
        peak_rss_growth_mb=rss_growth / MB,
        seconds=seconds,
        mb_per_s=total / MB / seconds,
    )
    return measurement, s3


def zip_seconds(images: int, image_bytes: int, repeats: int = 3) -> float | None:
    """Seconds (best of ``repeats``) ``zip -0 -q`` takes to archive the same bytes as files, read
    from the page cache; None without zip."""
    zip_path = shutil.which("zip")
    if zip_path is None:
        return None
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        names = []
        for n in range(images):
            name = f"{n:04d}.png"
            key = f"teams/bench/items/gal_{n:026d}/original.png"
            with open(Path(folder) / name, "wb") as file:
                for chunk in object_chunks(key, image_bytes, MB):
                    file.write(chunk)
            names.append(name)
        best = float("inf")
        for _ in range(repeats):
            Path(folder, "out.zip").unlink(missing_ok=True)
            began = time.perf_counter()
            subprocess.run([zip_path, "-0", "-q", "out.zip", *names], cwd=folder, check=True)
            best = min(best, time.perf_counter() - began)
        return best


def _child(images: int, image_bytes: int) -> None:
    measurement, _ = measure(images, image_bytes)
    print(RESULT + json.dumps(asdict(measurement)), flush=True)


def _run_child(images: int, image_bytes: int) -> Measurement:
    command = [sys.executable, "-m", "bench.export_memory", "--child", str(images), str(image_bytes)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode != 0 or not lines:
        sys.exit(f"export run of {images} images failed:\n{done.stdout}\n{done.stderr}")
    return Measurement(**json.loads(lines[-1].removeprefix(RESULT)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="50,500")
    parser.add_argument("--image-mb", type=float, default=2.0)
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    image_bytes = int(args.image_mb * MB)
    have_zip = shutil.which("zip") is not None
    rows = []
    for images in (int(size) for size in args.sizes.split(",")):
        measurement = _run_child(images, image_bytes)
        zipped = zip_seconds(images, image_bytes)
        rows.append((measurement, None if zipped is None else measurement.total_mb / zipped))
    print(f"Machine: {machine()}")
    if not have_zip:
        print("zip not found on PATH: the zip -0 comparison is skipped")
    print()
    print(
        "| images | total MB | peak traced MB | peak RSS growth MB | seconds | MB/s | zip -0 MB/s | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for m, zip_rate in rows:
        rss = "n/a" if m.peak_rss_growth_mb is None else f"{m.peak_rss_growth_mb:.1f}"
        zip_cell = "n/a" if zip_rate is None else f"{zip_rate:.0f}"
        ratio = "n/a" if zip_rate is None else f"{m.mb_per_s / zip_rate:.2f}"
        print(
            f"| {m.images} | {m.total_mb:.0f} | {m.peak_traced_mb:.1f} | {rss} | {m.seconds:.2f} "
            f"| {m.mb_per_s:.0f} | {zip_cell} | {ratio} |"
        )
    if len(rows) > 1:
        first, last = rows[0][0], rows[-1][0]
        print(f"\n{last.images} vs {first.images} images (target: within 20%, under 256 MB):")
        for label, before, after in (
            ("peak traced", first.peak_traced_mb, last.peak_traced_mb),
            ("peak RSS growth", first.peak_rss_growth_mb, last.peak_rss_growth_mb),
        ):
            if before and after is not None:
                growth = after / before - 1
                verdict = "met" if abs(growth) <= 0.20 and after < 256 else "missed"
                print(f"- {label}: {before:.1f} -> {after:.1f} MB ({growth:+.0%}, {verdict})")


if __name__ == "__main__":
    main()
