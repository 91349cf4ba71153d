"""Data access for the media bucket: object layout, bytes in and out, presigned URLs."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from galleria import aws
from galleria.config import get_settings
from galleria.domain.items import Rendition

PRESIGN_SECONDS = 15 * 60
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


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


class StorageUnavailable(Exception):
    """S3 refused or failed a write after the client's own retries."""


class MediaStorage:
    def __init__(self, bucket: str | None = None, client: Any | None = None) -> None:
        self.bucket = bucket or get_settings().media_bucket
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws.client("s3")

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"Storing {key} failed: {exc}") from exc

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def presigned_get(
        self, key: str, *, seconds: int = PRESIGN_SECONDS, download_name: str | None = None
    ) -> str:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if download_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)
