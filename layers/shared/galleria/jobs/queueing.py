"""Putting a job on its worker's queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from galleria import aws, clock, observability
from galleria.domain.jobs import Job, JobError, JobStatus
from galleria.jobs.messages import JobRef
from galleria.jobs.repository import JobsRepository
from galleria.transactions import transact_write


def send_job(
    job: Job,
    queue_url: str,
    jobs: JobsRepository,
    failure_ops: list[dict[str, Any]],
    *,
    on_failure_recorded: Callable[[], None] | None = None,
) -> None:
    """Queue the job, with the current request's correlation id for the worker's log lines.

    If SQS refuses, the job is failed at once, together with ``failure_ops`` (e.g. the refund of
    its credits), ``on_failure_recorded`` runs once that is written, and the error goes to the
    caller: nothing waits forever."""
    message = JobRef(job_id=job.id, correlation_id=observability.current_correlation_id() or job.id)
    try:
        aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=message.model_dump_json(by_alias=True))
    except Exception:
        failed = job.model_copy(
            update={
                "status": JobStatus.FAILED,
                "updated_at": clock.now_iso(),
                "error": JobError(code="internal_error", message="The job could not be queued"),
            }
        )
        transact_write([jobs.finish_op(failed), *failure_ops])
        if on_failure_recorded is not None:
            on_failure_recorded()
        raise
