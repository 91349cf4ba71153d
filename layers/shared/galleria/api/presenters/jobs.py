"""The answer to a request that queued a job: where to follow it."""

from __future__ import annotations

from galleria.api.models.jobs import JobAccepted
from galleria.domain.jobs import Job


def job_status_url(job: Job) -> str:
    return f"/api/v1/jobs/{job.id}"


def job_accepted(job: Job, status_url: str | None = None) -> JobAccepted:
    """202's body; ``status_url`` defaults to the job's /api/v1/jobs document."""
    return JobAccepted(job_id=job.id, status=job.status.value, status_url=status_url or job_status_url(job))
