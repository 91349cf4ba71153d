"""A share link as its visitors see it, for ``Accept: application/json``."""

from __future__ import annotations

from typing import Literal

from galleria.api.models.common import ResponseModel


class SharedImageOut(ResponseModel):
    """One image as a share link shows it; prompt, title and model only with showMetadata."""

    id: str
    type: str
    mime_type: str
    width: int | None
    height: int | None
    image_url: str
    download_url: str | None = None
    title: str | None = None
    prompt: str | None = None
    model: str | None = None
    created_at: str


class SharedLinkOut(ResponseModel):
    """``GET /share/{token}`` with ``Accept: application/json``."""

    token: str
    type: Literal["item", "collection"]
    title: str
    expires_at: str | None
    allow_download: bool
    show_metadata: bool
    views: int
    max_views: int | None
    images: list[SharedImageOut]
    next_cursor: str | None = None
