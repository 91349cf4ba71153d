"""The model catalogue as ``GET /api/v1/models`` answers it."""

from __future__ import annotations

from galleria.api.models.catalog import CapabilitiesOut, ModelOut, ModelsResponse
from galleria.catalog import ASPECT_RATIOS, MODELS, STYLE_PRESETS
from galleria.config import Settings


def models_out(settings: Settings) -> ModelsResponse:
    """Every model, with whether this deployment can run it (its provider's key is set)."""
    default = settings.effective_default_model
    return ModelsResponse(
        models=[
            ModelOut(
                id=m.id,
                provider=m.provider,
                speed=m.speed,
                best_for=m.best_for,
                available=m.available(settings),
                price_per_image=m.price_per_image,
                default=m.id == default,
                capabilities=CapabilitiesOut(
                    aspect_ratios=list(m.aspect_ratios),
                    max_images=m.max_images,
                    source_image=m.source_image,
                    edit=m.edit,
                    seed=m.seed,
                ),
            )
            for m in MODELS
        ],
        aspect_ratios=list(ASPECT_RATIOS),
        style_presets=list(STYLE_PRESETS),
    )
