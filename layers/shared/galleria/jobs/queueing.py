"""Putting a job on its worker's queue."""

from __future__ import annotations

import json
from typing import Any

from galleria import aws, clock
from galleria.domain.jobs import Job, JobError, JobStatus
from galleria.jobs.repository import JobsRepository
from galleria.transactions import transact_write


def send_job(job: Job, queue_url: str, jobs: JobsRepository, failure_ops: list[dict[str, Any]]) -> None:
    """Queue the job. If SQS refuses, the job is failed at once, together with ``failure_ops``
    (e.g. the refund of its credits), and the error goes to the caller: nothing waits forever."""
    try:
        aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps({"jobId": job.id}))
    except Exception:
        failed = job.model_copy(
            update={
                "status": JobStatus.FAILED,
                "updated_at": clock.now_iso(),
                "error": JobError(code="internal_error", message="The job could not be queued"),
            }
        )
        transact_write([jobs.finish_op(failed), *failure_ops])
        raise
