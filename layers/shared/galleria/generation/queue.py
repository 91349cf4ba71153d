"""What the generation worker does with one queue record: run the job, retry or give up."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from galleria import aws, observability
from galleria.config import get_settings
from galleria.generation.worker import GaveUp, GenerationWorker, RetryLater
from galleria.jobs.messages import JobMessage

logger = Logger(child=True)

# A job hit by a passing provider failure is delivered again after 1, then 2 minutes (and so on).
RETRY_DELAY_STEP_SECONDS = 60
RETRY_DELAY_MAX_SECONDS = 300


def run_generation_record(record: JobMessage) -> None:
    """Run the job; on the last delivery of a message that keeps failing, fail it and refund.

    Until the last delivery, passing provider failures are left to the queue (RetryLater): the
    message comes back after the visibility timeout. On the last one they fail their images.
    """
    job_id = record.body.job_id
    observability.follow_correlation_id(record.body.correlation_id)
    receive_count = int(record.attributes.ApproximateReceiveCount)
    final_attempt = receive_count >= get_settings().generation_max_receive_count
    worker = GenerationWorker()
    try:
        worker.run(job_id, final_attempt=final_attempt)
    except RetryLater:
        delay = min(RETRY_DELAY_MAX_SECONDS, RETRY_DELAY_STEP_SECONDS * receive_count)
        logger.warning(
            "job left for a later delivery", job_id=job_id, receive_count=receive_count, delay=delay
        )
        _redeliver_after(record.receiptHandle, delay)
        raise
    except GaveUp:
        logger.error("job gave up: failed images refunded, message goes to the DLQ", job_id=job_id)
        _redeliver_after(record.receiptHandle, 0)  # to the DLQ now, not after the visibility timeout
        raise
    except Exception:
        if final_attempt:
            logger.exception("job failed on its last delivery", job_id=job_id, receive_count=receive_count)
            worker.fail(job_id, "The job failed repeatedly; credits were refunded")
        raise


def _redeliver_after(receipt_handle: str, seconds: int) -> None:
    """Bring the message back sooner than the visibility timeout (sized for a worst-case run).

    Best effort: if this fails, the message still comes back when the visibility timeout ends.
    """
    try:
        aws.client("sqs").change_message_visibility(
            QueueUrl=get_settings().generation_queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=seconds,
        )
    except (BotoCoreError, ClientError):
        logger.warning("could not shorten the visibility timeout", exc_info=True)
