"""Gallery items and the renditions stored for each."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from galleria.patches import KEEP, Patched

Visibility = Literal["private", "public"]


class Rendition(StrEnum):
    ORIGINAL = "original"
    THUMB_256 = "thumb-256"
    THUMB_512 = "thumb-512"
    SOURCE = "source"  # the uploaded source image an item was made from (kept for remix)


class GenerationRecord(BaseModel):
    """What it takes to reproduce an item: who made it, from which request, with which seed."""

    provider: str
    model_version: str
    request: dict[str, Any]
    seed_used: int | None = None
    provider_request_id: str | None = None
    reproducible: bool = False


class Item(BaseModel):
    id: str
    team_id: str
    type: str = "image"
    prompt: str
    title: str | None = None
    model: str
    style_preset: str = "none"
    aspect_ratio: str = "1:1"
    seed: int | None = None
    width: int | None  # None only for a video whose container does not state its size
    height: int | None
    mime_type: str
    file_size: int
    tags: list[str] = Field(default_factory=list)
    favorite: bool = False
    collections: list[str] = Field(default_factory=list)
    visibility: str = "private"
    source: str = "generated"
    parent_id: str | None = None
    rating: int = 0
    archived: bool = False
    sha256: str
    generation: GenerationRecord | None = None
    object_keys: dict[Rendition, str]
    storage_bytes: int
    created_at: str
    updated_at: str
    deleted_at: str | None = None
    purge_at: str | None = None  # when a trashed item is removed for good
    version: int = 0  # bumped on every change; writes are conditional on it (no lost update)

    @property
    def live(self) -> bool:
        return self.deleted_at is None

    @property
    def listed(self) -> bool:
        """Shown by the default listing and counted by the facets: live and not archived."""
        return self.live and not self.archived

    @property
    def date_key(self) -> str:
        """The sort position every listing shares: creation time, then id (unique, stable)."""
        return f"{self.created_at}#{self.id}"


@dataclass(frozen=True)
class ItemPatch:
    """What a PATCH of an item changes (tags already normalised; ``title=None`` clears the title)."""

    tags: Patched[list[str]] = KEEP
    title: Patched[str | None] = KEEP
    favorite: Patched[bool] = KEEP
    visibility: Patched[Visibility] = KEEP
    rating: Patched[int] = KEEP
    archived: Patched[bool] = KEEP
