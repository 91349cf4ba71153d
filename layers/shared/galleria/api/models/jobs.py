"""Asynchronous jobs (generations, edits, exports): the id, the 202 answer, a failed job's error."""

from __future__ import annotations

from galleria.api.models.common import ResponseModel


class JobAccepted(ResponseModel):
    job_id: str
    status: str
    status_url: str


class JobErrorOut(ResponseModel):
    code: str
    message: str
