"""Pixel-mode normalisation shared by thumbnails, conversion and the procedural model."""

from __future__ import annotations

from PIL import Image

WHITE = (255, 255, 255)
_HIGH_BIT_DEPTH = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


def has_alpha(image: Image.Image) -> bool:
    """True for an alpha band or palette/colour-key transparency."""
    return image.has_transparency_data


def to_8bit(image: Image.Image) -> Image.Image:
    """16-bit greyscale (some PNGs) scaled to 8-bit 'L'; a plain convert would clip it to white."""
    if image.mode not in _HIGH_BIT_DEPTH:
        return image
    wide = image if image.mode in ("I", "F") else image.convert("I")
    return wide.point(lambda value: value * (1 / 256)).convert("L")


def to_rgb_or_rgba(image: Image.Image) -> Image.Image:
    """RGBA when the image has any transparency, else RGB (returns the same object if already so)."""
    image = to_8bit(image)
    mode = "RGBA" if has_alpha(image) else "RGB"
    return image if image.mode == mode else image.convert(mode)


def flatten(image: Image.Image, background: tuple[int, int, int] = WHITE) -> Image.Image:
    """An RGB image with any transparency composited onto ``background``."""
    image = to_rgb_or_rgba(image)
    if image.mode == "RGB":
        return image
    base = Image.new("RGB", image.size, background)
    base.paste(image, mask=image.getchannel("A"))
    return base
