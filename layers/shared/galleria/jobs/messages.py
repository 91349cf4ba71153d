"""The message every job queue carries: the id of the job to run (the job record holds the rest)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.parser.types import Json
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel


class JobRef(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    job_id: str
    # The id of the API request that queued the job: the worker logs under it too. A message
    # queued without one (outside a request, or before messages carried it) uses the job id.
    correlation_id: str = Field(default=None, validate_default=True)

    @field_validator("correlation_id", mode="before")
    @classmethod
    def _job_id_when_absent(cls, value: str | None, info: ValidationInfo) -> str | None:
        return value or info.data.get("job_id")


class JobMessage(SqsRecordModel):
    body: Json[JobRef]
