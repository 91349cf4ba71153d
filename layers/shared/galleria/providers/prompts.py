"""What the cloud models are asked for: the prompt with its style preset, and the source image's type."""

from __future__ import annotations

from galleria.imaging.formats import sniff_mime_type
from galleria.providers.base import ProviderRequest

# One modifier per preset in galleria.catalog.STYLE_PRESETS; "none" leaves the prompt as written.
STYLE_MODIFIERS: dict[str, str] = {
    "none": "",
    "photographic": "photographic, realistic lighting and true-to-life details",
    "digital-art": "digital art, vibrant colours, modern aesthetics",
    "comic-book": "comic book style, bold ink lines, dramatic shading",
    "fantasy-art": "fantasy art, magical and ethereal elements",
    "analog-film": "analog film photograph, film grain, vintage tones",
    "neon-punk": "neon punk, cyberpunk style with glowing neon colours",
    "isometric": "isometric perspective, isometric illustration",
    "low-poly": "low-poly 3D style, faceted geometric shapes",
    "origami": "origami, paper-folding style, made of folded paper",
    "line-art": "clean line art, minimal shading",
    "cinematic": "cinematic, dramatic lighting and composition",
    "3d-model": "high-quality 3D render, 3D model appearance",
}


def styled_prompt(prompt: str, preset: str) -> str:
    """The prompt sent to a cloud model: the user's words, then the preset's style direction."""
    try:
        modifier = STYLE_MODIFIERS[preset]
    except KeyError:
        raise ValueError(f"Unknown style preset {preset!r}") from None
    return f"{prompt}\n\nStyle: {modifier}." if modifier else prompt


def source_mime_type(request: ProviderRequest) -> str:
    """The source image's MIME type: as recorded, else from its magic bytes (PNG if unrecognised)."""
    if request.source_mime_type:
        return request.source_mime_type
    return sniff_mime_type(request.source_image or b"") or "image/png"
