"""Starting ZIP exports and reading their state (the export worker makes the archive)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from galleria import clock, ids
from galleria.config import get_settings
from galleria.domain.jobs import Job, JobType
from galleria.errors import InvalidRequest, NotFound
from galleria.jobs.queueing import send_job
from galleria.jobs.repository import JobsRepository
from galleria.transactions import transact_write

MAX_EXPORT_IDS = 500
EXPORT_DAYS = 7  # the bucket's exports/ rule removes archives after this
ExportFormat = Literal["original", "png"]
EXPORT_MODEL = "export"


def export_key(team_id: str, job_id: str) -> str:
    return f"exports/{team_id}/{job_id}.zip"


def export_expiry(job: Job) -> str:
    created = datetime.fromisoformat(job.created_at.replace("Z", "+00:00"))
    return clock.iso(created + timedelta(days=EXPORT_DAYS))


class ExportService:
    def __init__(self, jobs: JobsRepository | None = None) -> None:
        self.jobs = jobs or JobsRepository()

    def start(self, team_id: str, item_ids: list[str], fmt: ExportFormat) -> Job:
        """Queue an export of up to MAX_EXPORT_IDS items (ids another team owns, or none at all,
        end up in the manifest as missing: nothing is revealed)."""
        unique = list(dict.fromkeys(item_ids))
        if not unique:
            raise InvalidRequest("Invalid field 'itemIds': give at least one id")
        if len(unique) > MAX_EXPORT_IDS:
            raise InvalidRequest(
                f"Invalid field 'itemIds': at most {MAX_EXPORT_IDS} ids per export", code="too_many_ids"
            )
        now = clock.now_iso()
        job = Job(
            id=ids.new_id(ids.JOB),
            team_id=team_id,
            type=JobType.EXPORT,
            created_at=now,
            updated_at=now,
            request={"itemIds": unique, "format": fmt},
            model=EXPORT_MODEL,
            num_images=len(unique),
            price_per_image=0,
            credits_reserved=0,
            item_ids=unique,
        )
        transact_write([self.jobs.put_new_op(job)])
        send_job(job, get_settings().export_queue_url, self.jobs, [])
        return job

    def get(self, team_id: str, job_id: str) -> Job:
        job = self.jobs.get_for_team(team_id, job_id)
        if job.type is not JobType.EXPORT:
            raise NotFound(f"Export {job_id} not found: it is a {job.type.value} job (see /api/v1/jobs)")
        return job

    def wait(self, job: Job, timeout_seconds: float) -> Job:
        return self.jobs.wait(job, timeout_seconds)
