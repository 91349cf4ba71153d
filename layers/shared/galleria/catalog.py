"""The model catalogue: every model the API accepts, its price and what it can honour."""

from __future__ import annotations

from dataclasses import dataclass

from galleria.config import Settings

ASPECT_RATIOS: tuple[str, ...] = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
STYLE_PRESETS: tuple[str, ...] = (
    "none",
    "photographic",
    "digital-art",
    "comic-book",
    "fantasy-art",
    "analog-film",
    "neon-punk",
    "isometric",
    "low-poly",
    "origami",
    "line-art",
    "cinematic",
    "3d-model",
)
DEFAULT_PRICE_PER_IMAGE = 5
EDIT_PRICE = 10


@dataclass(frozen=True)
class ModelInfo:
    id: str
    provider: str
    speed: str
    best_for: str
    key_setting: str | None  # the Settings field holding the provider key; None: no key needed
    price_per_image: int = DEFAULT_PRICE_PER_IMAGE
    max_images: int = 4
    source_image: bool = True
    edit: bool = True
    seed: bool = False
    aspect_ratios: tuple[str, ...] = ASPECT_RATIOS

    def available(self, settings: Settings) -> bool:
        return self.key_setting is None or bool(getattr(settings, self.key_setting))


MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("google/gemini-2.5-flash-image", "google", "fast", "General use", "gemini_api_key"),
    ModelInfo("google/gemini-3.1-flash-image-preview", "google", "fast", "Preview/testing", "gemini_api_key"),
    ModelInfo("google/gemini-3-pro-image", "google", "medium", "Higher quality", "gemini_api_key"),
    ModelInfo("openai/gpt-5-nano", "openai", "medium", "OpenAI image generation", "openai_api_key"),
    ModelInfo("bfl/flux-kontext-max", "bfl", "medium", "Context-aware generation", "bfl_api_key", seed=True),
    ModelInfo("local/procedural", "local", "fast", "Offline development and tests", None, seed=True),
)
_BY_ID = {model.id: model for model in MODELS}


def find_model(model_id: str) -> ModelInfo | None:
    return _BY_ID.get(model_id)
