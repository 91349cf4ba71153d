"""Uploads: files a client PUTs to S3 itself, which become gallery items once their bytes check out."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from galleria.domain.jobs import JobError

MB = 1024 * 1024
# What may be declared, and whether it is an image or a video. The bytes decide in the end: a file
# declared image/png that is really a JPEG becomes a JPEG item; one that is no image is refused.
UPLOAD_KINDS: dict[str, str] = {
    "image/png": "image",
    "image/jpeg": "image",
    "image/webp": "image",
    "image/gif": "image",
    "video/mp4": "video",
    "video/webm": "video",
}
# Byte limits by kind. The ingest worker holds the file in memory to check it (an MP4's index may
# sit at its end), so the video limit is sized to its Lambda's memory. Images stay under the limits
# every later decode of a stored original allows (imaging.decode.STORED_MAX_*).
MAX_UPLOAD_BYTES: dict[str, int] = {"image": 30 * MB, "video": 200 * MB}
MAX_UPLOAD_PIXELS = 40_000_000
UPLOAD_URL_SECONDS = 15 * 60
UPLOAD_MODEL = "upload"  # the `model` of an uploaded item: no model made it
# How long one ingest run holds an upload: longer than the ingest worker's timeout (template.yaml),
# so a second delivery waits for a run in progress, and takes over from one that crashed.
INGEST_LEASE_SECONDS = 180
MAX_FILENAME_LENGTH = 255


class UploadStatus(StrEnum):
    PENDING = "pending"  # the URL is out; no valid file has arrived yet
    PROCESSING = "processing"  # a file arrived and is being checked
    READY = "ready"  # the item exists
    FAILED = "failed"  # the file was refused (and deleted); ``error`` says why


class Upload(BaseModel):
    """The pending state of an uploaded item, kept until the file is checked (and a week after)."""

    item_id: str
    team_id: str
    filename: str
    content_type: str
    size: int
    object_key: str
    status: UploadStatus = UploadStatus.PENDING
    error: JobError | None = None
    created_at: str
    updated_at: str
    url_expires_at: str

    @property
    def kind(self) -> str:
        return UPLOAD_KINDS[self.content_type]
