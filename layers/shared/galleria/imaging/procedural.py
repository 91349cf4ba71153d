"""The offline image model "local/procedural": a deterministic landscape painter for dev and tests.

A prompt and seed choose colours (from keywords such as "sunset", "ocean", "neon") and a layout
(sky, sun or moon, ridges, water, skyline, trees); a style preset then re-treats the picture.
Same inputs, same PNG bytes: the RNG is derived from the inputs and nothing reads global state.
Pure Pillow, no numpy: a 1024x1024 render takes well under half a second on one core.
"""

from __future__ import annotations

import hashlib
import io
import random

from PIL import Image

from galleria.catalog import STYLE_PRESETS
from galleria.imaging.effects import mix, scale, tint
from galleria.imaging.modes import to_rgb_or_rgba
from galleria.imaging.palette import Palette, palette_for
from galleria.imaging.scene import draw_scene
from galleria.imaging.styles import apply_style

MODEL_ID = "local/procedural"
ASPECT_RATIO_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "9:16": (768, 1344),
    "4:3": (1184, 864),
    "3:4": (864, 1184),
    "21:9": (1536, 672),
    "9:21": (672, 1536),
}
MAX_SIDE = 4096
# zlib level 1, measured with Pillow 13 on four 1024x1024 renders (mean ms / KB): 1: 27/491,
# 3: 36/453, 6 (default): 94/409, 9: 391/390. The default would be a third of the render time.
PNG_COMPRESS_LEVEL = 1
# How much of a source image shows through the procedural scene in image-to-image renders.
SOURCE_WEIGHT = 0.75

__all__ = ["ASPECT_RATIO_SIZES", "MODEL_ID", "STYLE_PRESETS", "render"]


def render(
    prompt: str,
    *,
    seed: int,
    width: int,
    height: int,
    style: str = "none",
    source: Image.Image | None = None,
) -> bytes:
    """PNG bytes of exactly ``width`` x ``height``; byte-identical for identical arguments.

    With ``source``, the picture is the source cover-cropped to size, recoloured towards the
    prompt's palette and blended over the scene, then styled. Raises ValueError for a size out of
    range or an unknown style.
    """
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ValueError(f"width and height must be between 1 and {MAX_SIDE}, got {width}x{height}")
    if style not in STYLE_PRESETS:
        raise ValueError(f"unknown style {style!r}; expected one of {', '.join(STYLE_PRESETS)}")
    rng = random.Random(_seed(prompt, seed))  # noqa: S311 - reproducible art, not secrets
    palette = palette_for(prompt, rng)
    picture = draw_scene((width, height), palette, rng)
    if source is not None:
        picture = _blend_source(picture, source, palette)
    picture = apply_style(picture, style, palette, rng)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def _seed(prompt: str, seed: int) -> int:
    digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
    return int.from_bytes(digest, "big")


def _blend_source(scene: Image.Image, source: Image.Image, palette: Palette) -> Image.Image:
    """The source, cover-cropped to the scene's size and nudged towards the palette, over the scene."""
    fitted = _cover(to_rgb_or_rgba(source), scene.size)
    if fitted.mode == "RGBA":  # transparent parts show the scene
        backdrop = scene.copy()
        backdrop.paste(fitted, mask=fitted.getchannel("A"))
        fitted = backdrop
    shadow, light = scale(palette.land[2], 0.6), mix(palette.sky_horizon, (255, 255, 255), 0.4)
    recoloured = tint(fitted, shadow, light, 0.35, mid=palette.land[0])
    return Image.blend(scene, recoloured, SOURCE_WEIGHT)


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale to fill ``size`` and centre-crop the overflow, in one resize (reduce() does the bulk)."""
    width, height = image.size
    target_w, target_h = size
    ratio = max(target_w / width, target_h / height)
    crop_w, crop_h = target_w / ratio, target_h / ratio
    left, top = (width - crop_w) / 2, (height - crop_h) / 2
    box = (left, top, left + crop_w, top + crop_h)
    return image.resize(size, Image.Resampling.BICUBIC, box=box, reducing_gap=2.0)
