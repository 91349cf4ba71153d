"""Variants of an item: edits, made turn by turn in a chat session, and derived images (splits)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from galleria import ids
from galleria.api.models.common import RequestModel, ResponseModel
from galleria.api.models.generation import Prompt
from galleria.api.models.jobs import JobAccepted

SessionId = Annotated[str, StringConstraints(pattern=ids.id_pattern(ids.SESSION))]


class EditIn(RequestModel):
    prompt: Prompt
    model: str | None = None
    session_id: SessionId | None = None


class EditAccepted(JobAccepted):
    edit_session_id: str


class SessionOpened(ResponseModel):
    session_id: str
    gallery_image_id: str
    created_at: str


class SessionTurnOut(ResponseModel):
    turn: int
    prompt: str
    job_id: str
    status: str
    variant_id: str | None
    created_at: str
    updated_at: str


class SessionOut(SessionOpened):
    turns: list[SessionTurnOut]


class SplitIn(RequestModel):
    rows: Annotated[int, Field(ge=1, le=4)]
    cols: Annotated[int, Field(ge=1, le=4)]
