"""The message every job queue carries: the id of the job to run (the job record holds the rest)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.parser.types import Json
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class JobRef(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    job_id: str


class JobMessage(SqsRecordModel):
    body: Json[JobRef]  # type: ignore[assignment]
