"""Streaming ZIP exports: archives written part by part to S3 must read back whole, and a failed
export must leave nothing behind."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from media_samples import image_bytes
from moto import mock_aws

from galleria.exports.archive import (
    MIN_PART_SIZE,
    MultipartSink,
    ObjectMissing,
    ZipStreamWriter,
    object_chunks,
    stored,
)

BUCKET = "exports"
KEY = "tmp/team-1/export-1/archive.zip"
MIB = 1024 * 1024
_ZIP64_EXTRA = 0x0001


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def download(s3: Any) -> bytes:
    return s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()


def chunked(data: bytes, size: int = MIB) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def leftovers(s3: Any) -> tuple[list[Any], list[Any]]:
    """Objects and unfinished multipart uploads in the bucket."""
    objects = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return objects, s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])


def local_header_extras(archive: bytes, info: zipfile.ZipInfo) -> dict[int, bytes]:
    """The extra fields of an entry's local header (zipfile's ZipInfo shows the central directory's)."""
    offset = info.header_offset
    name_length, extra_length = struct.unpack_from("<HH", archive, offset + 26)
    extra = archive[offset + 30 + name_length : offset + 30 + name_length + extra_length]
    fields = {}
    while extra:
        tag, length = struct.unpack_from("<HH", extra)
        fields[tag] = extra[4 : 4 + length]
        extra = extra[4 + length :]
    return fields


def write_sample_archive(s3: Any) -> dict[str, bytes]:
    entries = {
        "clips/clip-1.mp4": os.urandom(3 * MIB),
        "clips/clip-2.webm": os.urandom(3 * MIB),
        "clips/clip-3.mp4": os.urandom(3 * MIB),
        "raw/noise.bin": os.urandom(3 * MIB),
        "images/cat.png": image_bytes("PNG"),
        "images/dog.PNG": image_bytes("PNG", size=(32, 32)),
    }
    entries["manifest.json"] = json.dumps({"items": sorted(entries)}, indent=2).encode()
    with ZipStreamWriter(MultipartSink(s3, BUCKET, KEY, part_size=MIN_PART_SIZE)) as archive:
        for name, data in entries.items():
            if name.endswith(".json"):
                assert archive.add_bytes(name, data) == len(data)
            elif name == "clips/clip-3.mp4":  # size unknown: ZIP64 local header, 8-byte data descriptor
                assert archive.add_stream(name, chunked(data)) == len(data)
            else:
                assert archive.add_stream(name, chunked(data), size=len(data)) == len(data)
    return entries


def test_archive_reads_back_entry_for_entry_after_a_multipart_upload(s3: Any) -> None:
    entries = write_sample_archive(s3)

    head = s3.head_object(Bucket=BUCKET, Key=KEY)
    assert head["ContentType"] == "application/zip"
    assert head["ETag"].strip('"').endswith("-3")  # a multipart ETag names its part count
    with zipfile.ZipFile(io.BytesIO(download(s3))) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == list(entries)
        for name, data in entries.items():
            assert archive.read(name) == data
        kinds = {info.filename: info.compress_type for info in archive.infolist()}
    assert (
        kinds["images/cat.png"] == kinds["images/dog.PNG"] == kinds["clips/clip-1.mp4"] == zipfile.ZIP_STORED
    )
    assert kinds["manifest.json"] == kinds["raw/noise.bin"] == zipfile.ZIP_DEFLATED


@pytest.mark.skipif(shutil.which("unzip") is None, reason="needs the unzip binary")
def test_unzip_accepts_the_archive(s3: Any, tmp_path: Path) -> None:
    write_sample_archive(s3)
    path = tmp_path / "archive.zip"
    path.write_bytes(download(s3))

    result = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_entries_carry_the_given_time_and_read_only_permissions(s3: Any) -> None:
    modified = datetime(2024, 5, 6, 7, 8, 10, tzinfo=UTC)
    with ZipStreamWriter(MultipartSink(s3, BUCKET, KEY)) as archive:
        archive.add_bytes("a.txt", b"hello", modified=modified)

    with zipfile.ZipFile(io.BytesIO(download(s3))) as zipped:
        info = zipped.getinfo("a.txt")
    assert info.date_time == (2024, 5, 6, 7, 8, 10)
    assert info.external_attr >> 16 == 0o100644
    assert info.flag_bits & 0x08  # sizes follow the data: the sink cannot seek back to the header


class Interrupted(Exception):
    pass


def export_interrupted(s3: Any, size: int) -> None:
    """An export whose caller fails after writing ``size`` bytes."""
    with ZipStreamWriter(MultipartSink(s3, BUCKET, KEY)) as archive:
        archive.add_stream("big.mp4", chunked(os.urandom(size)))
        raise Interrupted


def test_an_error_inside_the_block_aborts_the_upload(s3: Any) -> None:
    with pytest.raises(Interrupted):
        export_interrupted(s3, 12 * MIB)  # a multipart upload with parts is under way by then

    assert leftovers(s3) == ([], [])


def test_an_error_before_the_first_part_leaves_nothing_either(s3: Any) -> None:
    with pytest.raises(Interrupted):
        export_interrupted(s3, 1000)

    assert leftovers(s3) == ([], [])


def test_an_entry_failing_midway_abandons_the_archive_even_when_caught(s3: Any) -> None:
    def failing() -> Iterator[bytes]:
        yield os.urandom(12 * MIB)
        raise ConnectionError

    writer = ZipStreamWriter(MultipartSink(s3, BUCKET, KEY))
    archive = writer.__enter__()
    with pytest.raises(ConnectionError):
        archive.add_stream("clip.mp4", failing())
    assert len(leftovers(s3)[1]) == 1
    with pytest.raises(RuntimeError, match="abandoned"):
        archive.add_bytes("manifest.json", b"{}")

    with pytest.raises(RuntimeError, match="abandoned"):
        writer.__exit__(None, None, None)
    assert leftovers(s3) == ([], [])


def test_an_empty_archive_is_valid(s3: Any) -> None:
    with ZipStreamWriter(MultipartSink(s3, BUCKET, KEY)):
        pass

    data = download(s3)
    assert len(data) == 22  # the end of central directory record alone
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == []
    assert leftovers(s3)[1] == []


def test_an_empty_sink_still_stores_an_object(s3: Any) -> None:
    sink = MultipartSink(s3, BUCKET, KEY, content_type="application/octet-stream")
    sink.close()

    assert download(s3) == b""


def test_an_entry_of_unknown_size_gets_zip64_extras(s3: Any) -> None:
    data = os.urandom(100_000)
    with ZipStreamWriter(MultipartSink(s3, BUCKET, KEY)) as archive:
        archive.add_stream("unknown.webm", chunked(data, 4096))
        archive.add_stream("known.webm", chunked(data, 4096), size=len(data))

    archived = download(s3)
    with zipfile.ZipFile(io.BytesIO(archived)) as zipped:
        assert zipped.testzip() is None
        unknown, known = zipped.getinfo("unknown.webm"), zipped.getinfo("known.webm")
        assert zipped.read("unknown.webm") == data
    assert unknown.file_size == unknown.compress_size == len(data)
    assert _ZIP64_EXTRA in local_header_extras(archived, unknown)
    assert _ZIP64_EXTRA not in local_header_extras(archived, known)
    # A ZIP64 data descriptor holds 8-byte sizes: signature, CRC, compressed and full size.
    descriptor = archived[known.header_offset - 24 : known.header_offset]
    assert struct.unpack("<LLQQ", descriptor) == (0x08074B50, unknown.CRC, len(data), len(data))


class PartCounter:
    """An S3 client that keeps only part sizes, so tracemalloc sees the sink's memory alone."""

    def __init__(self) -> None:
        self.part_sizes: list[int] = []
        self.completed = False

    def create_multipart_upload(self, **_: Any) -> dict[str, Any]:
        return {"UploadId": "upload-1"}

    def upload_part(self, *, Body: bytearray, PartNumber: int, **_: Any) -> dict[str, Any]:
        self.part_sizes.append(len(Body))
        return {"ETag": f'"{PartNumber}"', "ChecksumCRC32": "AAAAAA=="}

    def complete_multipart_upload(self, **_: Any) -> dict[str, Any]:
        self.completed = True
        return {}


def test_memory_stays_bounded_by_one_part() -> None:
    client = PartCounter()

    def forty_mib() -> Iterator[bytes]:
        for _ in range(40):
            yield os.urandom(MIB)

    tracemalloc.start()
    try:
        with ZipStreamWriter(MultipartSink(client, BUCKET, KEY, part_size=8 * MIB)) as archive:
            archive.add_stream("video.mp4", forty_mib())
            archive.add_stream("notes.json", (json.dumps({"n": n}).encode() * 20_000 for n in range(40)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    print(f"peak traced memory: {peak / MIB:.1f} MiB")
    assert peak < 30 * MIB
    assert client.completed
    assert len(client.part_sizes) == 6
    assert all(size == 8 * MIB for size in client.part_sizes[:-1])
    assert 0 < client.part_sizes[-1] < 8 * MIB


def test_parts_smaller_than_s3_allows_are_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        MultipartSink(PartCounter(), BUCKET, KEY, part_size=MIN_PART_SIZE - 1)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.png", True),
        ("b.JPG", True),
        ("c.jpeg", True),
        ("d.zip", True),
        ("e.json", False),
        ("noext", False),
    ],
)
def test_stored_by_suffix(name: str, expected: bool) -> None:
    assert stored(name) is expected


def test_object_chunks_concatenate_to_the_object(s3: Any) -> None:
    data = os.urandom(2 * MIB + 123)
    s3.put_object(Bucket=BUCKET, Key="teams/t/items/i/original.png", Body=data)

    chunks = list(object_chunks(s3, BUCKET, "teams/t/items/i/original.png", chunk_size=MIB))

    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) <= MIB
    assert hashlib.sha256(b"".join(chunks)).digest() == hashlib.sha256(data).digest()


def test_a_missing_object_is_reported_before_any_chunk_is_read(s3: Any) -> None:
    with pytest.raises(ObjectMissing) as raised:
        object_chunks(s3, BUCKET, "teams/t/items/gone/original.png")

    assert isinstance(raised.value, KeyError)
    assert raised.value.args == ("teams/t/items/gone/original.png",)
