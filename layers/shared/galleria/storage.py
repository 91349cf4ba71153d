"""Data access for the media bucket: object layout, bytes in and out, presigned URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from galleria import aws
from galleria.config import get_settings
from galleria.domain.items import Rendition

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PRESIGN_SECONDS = 15 * 60
TRASH_PREFIX = "trash/"
UPLOAD_PREFIX = "uploads/"
_DELETE_BATCH = 1000
# What presigned_put's URL must sign so S3 refuses a PUT of another type or size (SigV4 only:
# SigV2 signs the type but never the length).
_PUT_SIGNED_HEADERS = frozenset({"content-type", "content-length"})
_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/webm": "webm",
}


def extension_for(mime_type: str) -> str:
    return _EXTENSIONS.get(mime_type, "bin")


def mime_type_of(key: str) -> str:
    """The MIME type of an object we named with extension_for."""
    extension = key.rsplit(".", 1)[-1]
    return next((mime for mime, ext in _EXTENSIONS.items() if ext == extension), "application/octet-stream")


def item_object_key(team_id: str, item_id: str, rendition: Rendition, mime_type: str) -> str:
    name = rendition.value if rendition is not Rendition.ORIGINAL else "original"
    return f"teams/{team_id}/items/{item_id}/{name}.{extension_for(mime_type)}"


def tmp_object_key(team_id: str, group: str, name: str) -> str:
    """Objects under tmp/ expire after a day (bucket lifecycle rule); ``group`` is a job id or a purpose."""
    return f"tmp/{team_id}/{group}/{name}"


def trash_object_key(key: str) -> str:
    """Where a trashed item's object waits: a copy under trash/, which expires after 30 days."""
    return f"{TRASH_PREFIX}{key}"


def upload_object_key(team_id: str, item_id: str) -> str:
    """Where a client PUTs an upload; the bucket tells the ingest worker when it arrives."""
    return f"{UPLOAD_PREFIX}{team_id}/{item_id}"


def upload_owner(key: str) -> tuple[str, str] | None:
    """(team, item) of an upload_object_key; None for any other key."""
    parts = key.split("/")
    if len(parts) != 3 or f"{parts[0]}/" != UPLOAD_PREFIX or not all(parts[1:]):
        return None
    return parts[1], parts[2]


def trashed_object_owner(key: str) -> tuple[str, str] | None:
    """(team, item) of a trashed item's object (trash/teams/{team}/items/{item}/…); None otherwise."""
    parts = key.split("/")
    if len(parts) < 6 or f"{parts[0]}/" != TRASH_PREFIX or parts[1] != "teams" or parts[3] != "items":
        return None
    if not parts[2] or not parts[4]:
        return None
    return parts[2], parts[4]


class StorageUnavailable(Exception):
    """S3 refused or failed a write after the client's own retries."""


class MediaStorage:
    def __init__(self, bucket: str | None = None, client: S3Client | None = None) -> None:
        self.bucket = bucket or get_settings().media_bucket
        self._client = client

    @property
    def client(self) -> S3Client:
        return self._client or aws.client("s3")

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"Storing {key} failed: {exc}") from exc

    def get(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return data

    def find(self, key: str) -> bytes | None:
        """The object's bytes, or None when it does not exist (S3 answers 404 to a caller allowed to
        list the prefix, 403 otherwise: callers of find are granted s3:ListBucket on it)."""
        try:
            return self.get(key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def exists(self, key: str) -> bool:
        """True when the object is there (HeadObject; a caller not allowed to list the prefix
        gets 403 for a missing key, which counts as missing too)."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "NoSuchKey",
                "404",
                "403",
                "NotFound",
                "Forbidden",
            ):
                return False
            raise
        return True

    def presigned_get(
        self, key: str, *, seconds: int = PRESIGN_SECONDS, download_name: str | None = None
    ) -> str:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if download_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        url: str = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)
        return url

    def copy(self, source_key: str, target_key: str) -> bool:
        """Server-side copy (a new object: lifecycle ages count from now); False when the source
        does not exist."""
        try:
            self.client.copy_object(
                Bucket=self.bucket, Key=target_key, CopySource={"Bucket": self.bucket, "Key": source_key}
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return False
            raise StorageUnavailable(f"Copying {source_key} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"Copying {source_key} failed: {exc}") from exc
        return True

    def delete(self, key: str) -> None:
        """Missing keys are not an error (S3's DeleteObject is idempotent)."""
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def delete_many(self, keys: list[str]) -> None:
        """Delete objects, 1,000 per call (DeleteObjects' limit); missing keys are not an error."""
        for start in range(0, len(keys), _DELETE_BATCH):
            batch: list[Any] = [{"Key": key} for key in keys[start : start + _DELETE_BATCH]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def presigned_put(
        self, key: str, *, content_type: str, size: int, expires_in: int
    ) -> tuple[str, dict[str, str]]:
        """A presigned PUT URL limited to this Content-Type and exact Content-Length.

        Returns (url, headers the client must send). With SigV4 (aws.client's s3 client uses
        ``signature_version="s3v4"``) botocore serialises ContentType and ContentLength to headers
        and signs every header of the request, so the URL carries
        ``X-Amz-SignedHeaders=content-length;content-type;host`` and S3 answers 403
        SignatureDoesNotMatch to a PUT of any other type or size. Also signed: method, bucket, key
        and expiry. Not signed: the body (``UNSIGNED-PAYLOAD``), so the content is inspected after
        upload. A client that would not sign both headers (botocore's default for presigned S3 URLs
        is still SigV2, which never signs the length) is refused here rather than handing out an
        unrestricted URL. Browsers set Content-Length from the body themselves.
        """
        params = {"Bucket": self.bucket, "Key": key, "ContentType": content_type, "ContentLength": size}
        url = self.client.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_in)
        signed = parse_qs(urlsplit(url).query).get("X-Amz-SignedHeaders", [""])[0].split(";")
        if not set(signed) >= _PUT_SIGNED_HEADERS:
            raise RuntimeError("The S3 client must presign with SigV4 (signature_version='s3v4')")
        return url, {"Content-Type": content_type, "Content-Length": str(size)}
