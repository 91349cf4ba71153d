"""Settling jobs whose messages reached the dead-letter queue.

Most give-ups are recorded by the worker itself on the last delivery. A delivery that never gets
that far — the function timed out or ran out of memory, or SQS counted receives that never reached
it — would leave its job "running" with the credits reserved. The dead-letter handler fails such a
job: images already made stay and are charged, the rest are refunded. It is a no-op for a job that
already finished, so every message in the queue can go through it. Export jobs (from the export
dead-letter queue) are failed the same way; they hold no credits.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from galleria import observability
from galleria.domain.jobs import JobType
from galleria.exports.worker import ExportWorker
from galleria.generation.worker import GenerationWorker
from galleria.jobs.messages import JobMessage
from galleria.jobs.repository import JobsRepository

logger = Logger(child=True)

GAVE_UP_MESSAGE = "The job could not be completed; credits for the images not made were refunded"
EXPORT_GAVE_UP_MESSAGE = "The export could not be completed; try again"


def settle_dead_letter(record: JobMessage) -> None:
    job_id = record.body.job_id
    observability.follow_correlation_id(record.body.correlation_id)
    job = JobsRepository().find(job_id)
    logger.error("job dead-lettered", job_id=job_id, job_type=job.type if job else None)
    if job is not None and job.type is JobType.EXPORT:
        ExportWorker().fail(job_id, EXPORT_GAVE_UP_MESSAGE)
    else:
        GenerationWorker().fail(job_id, GAVE_UP_MESSAGE)
