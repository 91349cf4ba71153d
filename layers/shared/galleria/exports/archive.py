"""ZIP archives streamed into S3 through a multipart upload, in memory bounded by one part.

zipfile writes to a sink it cannot seek, so every entry ends with a data descriptor (sizes and
CRC after the data) instead of a patched local header; nothing is ever rewritten, so each full
part can be uploaded and forgotten.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from galleria import clock
from galleria.storage import StorageUnavailable

PART_SIZE = 8 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024  # S3 refuses smaller parts, except the last, when completing the upload
# Formats that are already compressed: deflating them again costs time and saves nothing.
STORED_SUFFIXES = frozenset({"png", "jpg", "jpeg", "webp", "gif", "mp4", "webm", "zip"})
# zipfile refuses, on closing an entry, a size past 2 GiB without ZIP64 extras (which it must write
# up front on a non-seekable sink); below zipfile's limit with room for deflate's worst-case growth.
_ZIP64_ABOVE = 2_000_000_000
_FILE_MODE = stat.S_IFREG | 0o644
_UNIX = 3  # ZipInfo.create_system under which unzip reads external_attr's high bits as a Unix mode
_CHECKSUM = "CRC32"


def stored(name: str) -> bool:
    """Whether an entry is written as is (ZIP_STORED) rather than deflated, judged by its suffix."""
    return name.rsplit(".", 1)[-1].lower() in STORED_SUFFIXES


class ObjectMissing(KeyError):
    """The object to read does not exist (callers record the item as missing and go on)."""


def object_chunks(client: Any, bucket: str, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
    """The object's bytes, chunk by chunk, without holding it whole.

    The object is requested now, not on first iteration, so ObjectMissing comes before the caller
    starts an archive entry it could not take back.
    """
    try:
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise ObjectMissing(key) from exc
        raise
    return _drain(body, chunk_size)


def _drain(body: Any, chunk_size: int) -> Iterator[bytes]:
    """Close the body even when the reader stops early, so the connection goes back to the pool."""
    try:
        yield from body.iter_chunks(chunk_size)
    finally:
        body.close()


class MultipartSink:
    """A writable, non-seekable file for zipfile that uploads each full part to S3.

    The upload starts with the first full part: an archive smaller than one part is a single
    PutObject, and aborting before then leaves nothing to clean up. At most 10,000 parts (S3's
    limit): 80 GiB at the default part size. Not an io.IOBase, whose finaliser would close, and so
    complete, a half-written archive when the sink is garbage collected.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        content_type: str = "application/zip",
        part_size: int = PART_SIZE,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"S3 parts must be at least {MIN_PART_SIZE} bytes")
        self.client = client
        self.bucket = bucket
        self.key = key
        self.content_type = content_type
        self.part_size = part_size
        self.bytes_written = 0
        self.closed = False
        # One preallocated part, refilled after each upload: memory stays at part_size.
        self._buffer = bytearray(part_size)
        self._filled = 0
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        """zipfile records each entry's offset from this."""
        return self.bytes_written

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """zipfile probes seek to choose between patching headers and writing data descriptors."""
        raise io.UnsupportedOperation("MultipartSink cannot seek")

    def flush(self) -> None:
        """Parts go out when full; flushing a short one would break S3's minimum part size."""

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self.closed:
            raise ValueError("write to a closed MultipartSink")
        view = memoryview(data).cast("B")
        offset = 0
        while offset < len(view):
            take = min(len(view) - offset, self.part_size - self._filled)
            self._buffer[self._filled : self._filled + take] = view[offset : offset + take]
            self._filled += take
            offset += take
            if self._filled == self.part_size:
                self._upload_part()
        self.bytes_written += len(view)
        return len(view)

    def close(self) -> None:
        """Upload what is left and complete the upload; an empty sink still stores an empty object."""
        if self.closed:
            return
        del self._buffer[self._filled :]
        try:
            if self._upload_id is None:
                self.client.put_object(
                    Bucket=self.bucket, Key=self.key, Body=self._buffer, ContentType=self.content_type
                )
            else:
                if self._buffer:
                    self._upload_part()
                self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"Storing {self.key} failed: {exc}") from exc
        self._finish()

    def abort(self) -> None:
        """Abort the upload, so that S3 keeps (and bills) none of its parts; no-op once closed."""
        if self.closed:
            return
        self._finish()
        if self._upload_id is not None:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)

    def _finish(self) -> None:
        self.closed = True
        self._buffer = bytearray()

    def _upload_part(self) -> None:
        """Upload the buffer as the next part. Each part carries a CRC32 that S3 checks on arrival,
        declared when the upload starts: S3 then wants every part's checksum back on completing."""
        try:
            if self._upload_id is None:
                self._upload_id = self.client.create_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.key,
                    ContentType=self.content_type,
                    ChecksumAlgorithm=_CHECKSUM,
                )["UploadId"]
            number = len(self._parts) + 1
            response = self.client.upload_part(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=self._buffer,
                ChecksumAlgorithm=_CHECKSUM,
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"Storing part of {self.key} failed: {exc}") from exc
        self._parts.append(
            {"PartNumber": number, "ETag": response["ETag"], "ChecksumCRC32": response["ChecksumCRC32"]}
        )
        self._filled = 0


class ZipStreamWriter:
    """``with ZipStreamWriter(sink) as archive:`` adds entries; the sink is completed when the block
    ends normally and aborted when it raises.

    An entry that fails midway cannot be taken back from a non-seekable sink (its header is already
    uploaded), so the archive is then abandoned even if the caller catches the error.
    """

    def __init__(self, sink: MultipartSink) -> None:
        self.sink = sink
        self._zip: zipfile.ZipFile | None = None
        self._broken = False

    def __enter__(self) -> ZipStreamWriter:
        self._zip = zipfile.ZipFile(self.sink, "w")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._zip is not None
        if exc_type is not None or self._broken:
            # Detach the sink: ZipFile's finaliser would otherwise write its directory into the
            # aborted sink (and fail) when the abandoned archive is garbage collected.
            self._zip.fp = None
            self.sink.abort()
            if exc_type is None:
                raise RuntimeError("An archive entry failed midway; the archive was abandoned")
            return
        try:
            self._zip.close()
            self.sink.close()
        except BaseException:
            self.sink.abort()
            raise

    def add_stream(
        self,
        name: str,
        chunks: Iterable[bytes],
        *,
        size: int | None = None,
        compress: bool | None = None,
        modified: datetime | None = None,
    ) -> int:
        """Write one entry named exactly ``name`` from ``chunks``; returns its uncompressed size.

        ``size`` (when known) only decides whether the entry needs ZIP64 extras, which a
        non-seekable sink must write before the data. ``compress`` None decides by suffix.
        """
        if self._zip is None:
            raise RuntimeError("Use ZipStreamWriter as a context manager")
        if self._broken:
            raise RuntimeError("An archive entry failed midway; the archive was abandoned")
        moment = (modified or clock.now()).astimezone(UTC)
        info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if _compressed(name, compress) else zipfile.ZIP_STORED
        info.create_system = _UNIX
        info.external_attr = _FILE_MODE << 16
        try:
            with self._zip.open(info, "w", force_zip64=size is None or size > _ZIP64_ABOVE) as entry:
                for chunk in chunks:
                    entry.write(chunk)
        except BaseException:
            self._broken = True
            raise
        return info.file_size

    def add_bytes(
        self, name: str, data: bytes, *, compress: bool | None = None, modified: datetime | None = None
    ) -> int:
        return self.add_stream(name, (data,), size=len(data), compress=compress, modified=modified)


def _compressed(name: str, compress: bool | None) -> bool:
    return not stored(name) if compress is None else compress
