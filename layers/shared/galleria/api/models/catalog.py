"""The model catalogue as ``GET /api/v1/models`` lists it."""

from __future__ import annotations

from galleria.api.models.common import ResponseModel


class CapabilitiesOut(ResponseModel):
    aspect_ratios: list[str]
    max_images: int
    source_image: bool
    edit: bool
    seed: bool


class ModelOut(ResponseModel):
    id: str
    provider: str
    speed: str
    best_for: str
    available: bool
    price_per_image: int
    default: bool
    capabilities: CapabilitiesOut


class ModelsResponse(ResponseModel):
    models: list[ModelOut]
    aspect_ratios: list[str]
    style_presets: list[str]
