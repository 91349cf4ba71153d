"""Asynchronous jobs (generations, edits, exports): the id, the 202 answer, a failed job's error."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from galleria import ids
from galleria.api.models.common import ResponseModel

JobId = Annotated[str, StringConstraints(pattern=ids.id_pattern(ids.JOB))]


class JobAccepted(ResponseModel):
    job_id: str
    status: str
    status_url: str


class JobErrorOut(ResponseModel):
    code: str
    message: str
