"""Uploads: the presigned PUT a client sends a file with, and the upload's progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, StringConstraints

from galleria.api.models.common import RequestModel, ResponseModel
from galleria.api.models.items import ItemOut
from galleria.api.models.jobs import JobErrorOut
from galleria.domain.uploads import MAX_FILENAME_LENGTH, UPLOAD_KINDS

if TYPE_CHECKING:  # a Literal built at run time: the type checker sees a string
    UploadContentType = str
else:
    UploadContentType = Literal[tuple(UPLOAD_KINDS)]
# A file's name as the user sees it: no control characters (they would end up in the title).
Filename = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_FILENAME_LENGTH, pattern=r"^[^\x00-\x1f\x7f]+$")
]


class UploadIn(RequestModel):
    filename: Filename
    content_type: UploadContentType
    size: Annotated[int, Field(ge=1, le=5 * 1024**3)]  # S3's single-PUT maximum; the plan limits come after


class UploadOut(ResponseModel):
    item_id: str
    upload_url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    expires_at: str
    status_url: str


class UploadStatusOut(ResponseModel):
    item_id: str
    status: Literal["pending", "processing", "ready", "failed"]
    filename: str
    content_type: str
    size: int
    error: JobErrorOut | None
    item: ItemOut | None  # once ready (and while the item is not deleted for good)
    created_at: str
    updated_at: str
