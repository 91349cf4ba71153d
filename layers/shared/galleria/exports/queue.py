"""What the export worker does with one queue record: run the export, fail it on the last try."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from galleria import observability
from galleria.config import get_settings
from galleria.exports.worker import ExportWorker
from galleria.jobs.messages import JobMessage

logger = Logger(child=True)


def run_export_record(record: JobMessage) -> None:
    """A failure goes back to the queue; on the last delivery the job is failed first, so its
    caller sees why instead of waiting, and the message then goes to the DLQ."""
    job_id = record.body.job_id
    observability.follow_correlation_id(record.body.correlation_id)
    receive_count = int(record.attributes.ApproximateReceiveCount)
    worker = ExportWorker()
    try:
        worker.run(job_id)
    except Exception:
        if receive_count >= get_settings().export_max_receive_count:
            logger.exception("export failed on its last delivery", job_id=job_id)
            worker.fail(job_id, "The export failed repeatedly; try again")
        raise
