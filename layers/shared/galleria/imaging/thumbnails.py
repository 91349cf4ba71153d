"""WebP thumbnails: longest side fixed, aspect kept, never upscaled."""

from __future__ import annotations

import io
from collections.abc import Iterable

from PIL import Image

from galleria.imaging.decode import (
    STORED_FORMATS,
    STORED_MAX_BYTES,
    STORED_MAX_PIXELS,
    apply_orientation,
    draft_longest_side,
    open_image,
)
from galleria.imaging.modes import to_rgb_or_rgba

WEBP_QUALITY = 80
# libwebp `method` (0 fastest .. 6 smallest). Measured with Pillow 13 on four 1024x1024 procedural
# renders, quality 80, mean ms / KB: 0: 11/44, 1: 13/38, 2: 18/40, 3: 46/35, 4 (default): 47/35,
# 5: 51/35, 6: 72/34. Method 1 is ~3.5x faster than the default for ~9% more bytes.
WEBP_METHOD = 1
# resize() first shrinks by an integer factor with reduce() (a fast box filter) down to
# REDUCING_GAP x the target, then resamples with Lanczos; a JPEG is drafted (DCT-scaled) to it. 1.0
# reduces as far as whole factors go: against 2.0, about 40% less time for 0.4-0.6 dB PSNR
# (bench/image_pipeline.py: 35.2 vs 35.8 dB at 512, pyvips' own thumbnails 35.8 dB).
REDUCING_GAP = 1.0
DEFAULT_SIZES = (256, 512)


def make_thumbnail(image: Image.Image, size: int) -> bytes:
    """WebP bytes of ``image`` with its longest side ``size`` (or smaller if the image is smaller).

    Given a freshly opened, not yet loaded JPEG (``Image.open`` without ``load``), the decoder is
    asked for a reduced-scale draft first, so a 12 MP photo decodes at 1/8 scale; this loads and
    resizes that image object in place (it had no pixels yet, so nothing is lost). Loaded images
    are never modified.
    """
    _check_size(size)
    if image.format in ("JPEG", "MPO") and getattr(image, "tile", None):
        draft_longest_side(image, round(size * REDUCING_GAP))
        image.load()
        apply_orientation(image)
    return _encode(_shrink(to_rgb_or_rgba(image), size))


def make_thumbnails(data: bytes, sizes: Iterable[int] = DEFAULT_SIZES) -> dict[int, bytes]:
    """WebP thumbnails of a stored original, keyed by size, largest first.

    Decodes once; each smaller size is reduced from the previous (already small) one.
    """
    ordered = sorted(set(sizes), reverse=True)
    if not ordered:
        raise ValueError("at least one thumbnail size is needed")
    _check_size(ordered[-1])
    image = open_image(
        data,
        max_bytes=STORED_MAX_BYTES,
        max_pixels=STORED_MAX_PIXELS,
        allowed_formats=STORED_FORMATS,
        allow_animated=True,
        draft=round(ordered[0] * REDUCING_GAP),
    )
    current = to_rgb_or_rgba(image)
    thumbnails: dict[int, bytes] = {}
    for size in ordered:
        current = _shrink(current, size)
        thumbnails[size] = _encode(current)
    return thumbnails


def _shrink(image: Image.Image, size: int) -> Image.Image:
    width, height = image.size
    longest = max(width, height)
    if longest <= size:
        return image
    scale = size / longest
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(target, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)


def _encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue()


def _check_size(size: int) -> None:
    if size < 1:
        raise ValueError(f"thumbnail size must be positive, got {size}")
