"""The public feed: items as anyone may see them."""

from __future__ import annotations

from galleria.api.models.common import ResponseModel


class PublicItemOut(ResponseModel):
    """An item in the public feed: what anyone may see, nothing of its team or organisation
    (no team id, collections, favorites or ratings; tags only where the team allows)."""

    id: str
    type: str
    url: str
    thumbnail_url: str | None
    prompt: str
    title: str | None
    model: str
    style_preset: str
    aspect_ratio: str
    width: int | None  # None only for a video whose container does not state its size
    height: int | None
    mime_type: str
    tags: list[str]
    created_at: str


class PublicGalleryPage(ResponseModel):
    items: list[PublicItemOut]
    page: int
    page_size: int
    next_cursor: str | None
