"""The normalised generation request: what a job runs and what an item records."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class GenerationSpec(BaseModel):
    """Stored on the job and, as ``generation.request``, on every item it makes (camelCase)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    prompt: str
    model: str = ""  # empty until the service resolves it to the deployment's default
    aspect_ratio: str = "1:1"
    num_images: int = 1
    style_preset: str = "none"
    seed: int | None = None
    source_item_id: str | None = None
    source_image: bool = False  # the bytes live in tmp/; the record says only that there was one
    save_to_gallery: bool = True
    gallery_tags: list[str] = []
    collection_id: str | None = None
    # Variants (edits and derived images): the item they come from, and for edits the session turn.
    parent_id: str | None = None
    session_id: str | None = None
    turn: int | None = None
    derive: str | None = None  # "clean-background" or "split" (no model call)
    rows: int | None = None
    cols: int | None = None

    def as_record(self) -> dict[str, object]:
        return self.model_dump(by_alias=True, mode="json")
