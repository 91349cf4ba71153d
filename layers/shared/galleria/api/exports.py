"""How export jobs are answered: the status document, and bulk/download's zip, redirect or 202."""

from __future__ import annotations

from dataclasses import dataclass, field

from galleria.api.models.exports import ExportOut
from galleria.api.models.jobs import JobErrorOut
from galleria.api.presenters.jobs import job_accepted
from galleria.domain.jobs import Job, JobStatus
from galleria.errors import ServiceUnavailable
from galleria.exports.service import export_expiry
from galleria.storage import MediaStorage

BULK_DOWNLOAD_WAIT_SECONDS = 20.0
# The contract allows 5 MB, but Lambda answers at most 6 MB and a binary body goes out base64 (4/3).
INLINE_ZIP_MAX_BYTES = 4 * 1024 * 1024
ZIP_CONTENT_TYPE = "application/zip"


@dataclass(frozen=True)
class DownloadAnswer:
    status: int
    content_type: str
    body: bytes | str
    headers: dict[str, str] = field(default_factory=dict)


def export_status_url(job: Job) -> str:
    return f"/api/v1/gallery/exports/{job.id}"


def _filename(job: Job) -> str:
    return f"galleria-export-{job.created_at[:10]}-{job.id}.zip"


def export_out(job: Job, storage: MediaStorage) -> ExportOut:
    done = job.export if job.status is JobStatus.SUCCEEDED else None
    return ExportOut(
        job_id=job.id,
        status=job.status.value,
        item_count=done.item_count if done else None,
        bytes=done.bytes if done else None,
        download_url=storage.presigned_get(done.object_key, download_name=_filename(job)) if done else None,
        expires_at=export_expiry(job) if done else None,
        missing=done.missing if done else [],
        error=JobErrorOut(**job.error.model_dump()) if job.error else None,
    )


def bulk_download_answer(job: Job, storage: MediaStorage) -> DownloadAnswer:
    """200 with the zip when it is small, 303 to its URL when larger, 202 while it is being made."""
    if job.status is JobStatus.FAILED:
        raise ServiceUnavailable(job.error.message if job.error else "The export failed; try again")
    if job.status is not JobStatus.SUCCEEDED or job.export is None:
        accepted = job_accepted(job, export_status_url(job))
        return DownloadAnswer(202, "application/json", accepted.model_dump_json(by_alias=True))
    disposition = {"Content-Disposition": f'attachment; filename="{_filename(job)}"'}
    if job.export.bytes <= INLINE_ZIP_MAX_BYTES:
        return DownloadAnswer(200, ZIP_CONTENT_TYPE, storage.get(job.export.object_key), disposition)
    url = storage.presigned_get(job.export.object_key, download_name=_filename(job))
    return DownloadAnswer(303, ZIP_CONTENT_TYPE, b"", {"Location": url})
