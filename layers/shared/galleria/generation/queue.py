"""The generation queue's message, and what the worker does with one record."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.parser.types import Json
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from galleria.config import get_settings
from galleria.generation.worker import GenerationWorker

logger = Logger(child=True)


class GenerationJobRef(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    job_id: str


class GenerationMessage(SqsRecordModel):
    body: Json[GenerationJobRef]  # type: ignore[assignment]


def run_generation_record(record: GenerationMessage) -> None:
    """Run the job; on the last delivery of a message that keeps failing, fail it and refund."""
    job_id = record.body.job_id
    worker = GenerationWorker()
    try:
        worker.run(job_id)
    except Exception:
        receive_count = int(record.attributes.ApproximateReceiveCount)
        if receive_count >= get_settings().generation_max_receive_count:
            logger.exception("job failed on its last delivery", job_id=job_id, receive_count=receive_count)
            worker.fail(job_id, "The job failed repeatedly; credits were refunded")
        raise
