"""Image generation: the request, the images made, a dry run's price, and the job status document."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, StringConstraints, model_serializer

from galleria.api.models.common import CollectionId, ItemId, NoNul, RequestModel, ResponseModel
from galleria.api.models.jobs import JobErrorOut
from galleria.catalog import ASPECT_RATIOS, STYLE_PRESETS
from galleria.generation.spec import GenerationSpec
from galleria.tags import normalise_tags

# Built from the catalogue so the API, the OpenAPI document and the renderer share one list.
AspectRatio = Literal[ASPECT_RATIOS]  # type: ignore[valid-type]
StylePreset = Literal[STYLE_PRESETS]  # type: ignore[valid-type]
Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), NoNul]


class GenerateImageRequest(RequestModel):
    prompt: Prompt
    model: str | None = None
    aspect_ratio: AspectRatio = "1:1"
    num_images: Annotated[int, Field(ge=1, le=4)] = 1
    style_preset: StylePreset = "none"
    source_image: str | None = None
    source_item_id: ItemId | None = None
    save_to_gallery: bool = True
    gallery_tags: Annotated[list[str], Field(max_length=50)] = []
    collection_id: CollectionId | None = None
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] | None = None
    async_: bool = Field(default=False, alias="async")
    dry_run: bool = False

    def to_spec(self) -> GenerationSpec:
        """The normalised request a job runs (the source image's bytes travel separately)."""
        return GenerationSpec(
            prompt=self.prompt,
            model=self.model or "",
            aspect_ratio=self.aspect_ratio,
            num_images=self.num_images,
            style_preset=self.style_preset,
            seed=self.seed,
            source_item_id=self.source_item_id,
            source_image=self.source_image is not None,
            save_to_gallery=self.save_to_gallery,
            gallery_tags=normalise_tags(self.gallery_tags, field="galleryTags"),
            collection_id=self.collection_id,
        )


class ImageOut(ResponseModel):
    url: str | None  # None only when storing failed; ``image`` then carries the bytes
    thumbnail_url: str | None
    text: str | None
    mime_type: str
    file_size: int
    width: int
    height: int
    gallery_id: str | None
    image: str | None = Field(default=None, description="Base64 image, present only if storing failed")

    # No return annotation on purpose: with one, pydantic would publish it as the JSON schema and
    # the OpenAPI document would lose the fields.
    @model_serializer(mode="wrap")
    def _omit_missing_image(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data: dict[str, Any] = handler(self)
        if data.get("image") is None:
            data.pop("image", None)
        return data


class GenerateImageResponse(ResponseModel):
    images: list[ImageOut]
    num_images: int
    job_id: str
    credits_charged: int


class PriceQuote(ResponseModel):
    credits_required: int
    balance: int
    model: str
    num_images: int


class JobOut(ResponseModel):
    id: str
    type: str
    status: str
    created_at: str
    updated_at: str
    result: GenerateImageResponse | None
    error: JobErrorOut | None
