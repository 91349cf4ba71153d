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
    """A model the API accepts. Prices live here, in one table (credits per image)."""

    id: str
    provider: str  # "local", or a key of config.PROVIDER_KEY_SETTINGS
    api_model: str  # the provider's own model id
    speed: str
    best_for: str
    price_per_image: int = DEFAULT_PRICE_PER_IMAGE
    max_images: int = 4
    source_image: bool = True
    edit: bool = True
    seed: bool = False
    aspect_ratios: tuple[str, ...] = ASPECT_RATIOS

    def available(self, settings: Settings) -> bool:
        return self.provider == "local" or settings.provider_configured(self.provider)


# Seeds: only BFL Kontext and the offline model take one; Gemini and OpenAI's image tool do not.
MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("google/gemini-2.5-flash-image", "google", "gemini-2.5-flash-image", "fast", "General use"),
    ModelInfo(
        "google/gemini-3.1-flash-image-preview",
        "google",
        "gemini-3.1-flash-image-preview",
        "fast",
        "Preview/testing",
    ),
    ModelInfo(
        "google/gemini-3-pro-image", "google", "gemini-3-pro-image-preview", "medium", "Higher quality"
    ),
    ModelInfo("openai/gpt-5-nano", "openai", "gpt-5-nano", "medium", "OpenAI image generation"),
    ModelInfo(
        "bfl/flux-kontext-max", "bfl", "flux-kontext-max", "medium", "Context-aware generation", seed=True
    ),
    ModelInfo(
        "local/procedural", "local", "procedural-1", "fast", "Offline development and tests", seed=True
    ),
)
_BY_ID = {model.id: model for model in MODELS}


def find_model(model_id: str) -> ModelInfo | None:
    return _BY_ID.get(model_id)
