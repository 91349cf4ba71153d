"""The emulators' "model": the project's procedural renderer, sized and encoded as a provider would.

Pillow and the renderer are imported on first use, so starting the local stack stays cheap.
"""

from __future__ import annotations

import io
import math
import re
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

ONE_MEGAPIXEL = 1024 * 1024
SIZE_MULTIPLE = 16
_RATIO = re.compile(r"(?P<width>[1-9]\d{0,3}):(?P<height>[1-9]\d{0,3})")
_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class BadSourceImage(ValueError):
    """Source bytes that are not an image the renderer can use."""


def parse_ratio(value: str) -> tuple[int, int] | None:
    """`"16:9"` as (16, 9); None when it is not a "W:H" of positive integers."""
    match = _RATIO.fullmatch(value)
    return (int(match["width"]), int(match["height"])) if match else None


def megapixel_size(
    ratio_width: float, ratio_height: float, *, pixels: int = ONE_MEGAPIXEL, multiple: int = SIZE_MULTIPLE
) -> tuple[int, int]:
    """About `pixels` in the given proportions, both sides multiples of `multiple` (2:3 -> 832x1248)."""
    width = math.sqrt(pixels * ratio_width / ratio_height)
    height = pixels / width
    return (
        max(multiple, round(width / multiple) * multiple),
        max(multiple, round(height / multiple) * multiple),
    )


def random_seed() -> int:
    """A seed for a request that gave none, so two identical requests give two pictures."""
    return secrets.randbelow(2**31)


def open_source(data: bytes) -> Image.Image:
    """Decode a reference image with the project's limits; BadSourceImage says why it is refused."""
    from galleria.errors import InvalidImage
    from galleria.imaging.decode import open_image

    try:
        return open_image(data)
    except InvalidImage as exc:
        raise BadSourceImage(str(exc)) from exc


def render(
    prompt: str,
    *,
    seed: int,
    size: tuple[int, int],
    source: Image.Image | None = None,
    output_format: str = "png",
    quality: int | None = None,
) -> bytes:
    """The image for a request, encoded as `output_format` (png, jpeg or webp)."""
    from galleria.imaging import procedural

    width, height = size
    png = procedural.render(prompt, seed=seed, width=width, height=height, style="none", source=source)
    if output_format == "png":
        return png
    from PIL import Image

    buffer = io.BytesIO()
    with Image.open(io.BytesIO(png)) as picture:
        picture.convert("RGB").save(buffer, _PILLOW_FORMATS[output_format], quality=quality or 90)
    return buffer.getvalue()


def procedural_sizes() -> dict[str, tuple[int, int]]:
    """The local model's size for each ratio it knows (Gemini's sizes)."""
    from galleria.imaging import procedural

    return procedural.ASPECT_RATIO_SIZES
