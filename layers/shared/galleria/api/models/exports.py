"""ZIP exports of many items."""

from __future__ import annotations

from typing import Literal

from galleria.api.models.bulk import BulkItemIds
from galleria.api.models.common import RequestModel, ResponseModel
from galleria.api.models.jobs import JobErrorOut


class ExportIn(RequestModel):
    item_ids: BulkItemIds
    format: Literal["original", "png"] = "original"


class ExportOut(ResponseModel):
    job_id: str
    status: str
    item_count: int | None
    bytes: int | None
    download_url: str | None
    expires_at: str | None
    missing: list[str] = []
    error: JobErrorOut | None = None
