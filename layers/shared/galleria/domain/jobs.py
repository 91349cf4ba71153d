"""Background jobs: what was asked, where it stands, what it produced."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class JobType(StrEnum):
    GENERATE = "generate"
    EDIT = "edit"
    DERIVE = "derive"
    EXPORT = "export"


class ImageResult(BaseModel):
    """One produced image: a gallery item, a tmp/ object when saveToGallery is false, or — when
    storing failed — bytes kept in ``inline_chunks`` records of the jobs table."""

    gallery_id: str | None = None
    object_key: str | None = None
    thumbnail_key: str | None = None
    mime_type: str
    file_size: int
    width: int
    height: int
    text: str | None = None
    inline_chunks: int = 0
    inline_index: int = 0  # the image's number in the job, which names its inline records


class JobError(BaseModel):
    code: str
    message: str


class ExportResult(BaseModel):
    """A finished ZIP export: where the archive is, how big, and what could not go in."""

    object_key: str
    bytes: int
    item_count: int  # entries with an image (the manifest not counted)
    missing: list[str] = Field(default_factory=list)  # requested ids that were not there


class Job(BaseModel):
    id: str
    team_id: str
    type: JobType
    status: JobStatus = JobStatus.QUEUED
    created_at: str
    updated_at: str
    request: dict[str, Any]
    model: str
    num_images: int
    price_per_image: int
    credits_reserved: int
    item_ids: list[str] = Field(default_factory=list)
    save_to_gallery: bool = True
    source_key: str | None = None
    images: list[ImageResult] = Field(default_factory=list)
    credits_charged: int = 0
    error: JobError | None = None
    export: ExportResult | None = None
