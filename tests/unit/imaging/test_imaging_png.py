"""PNG downloads: exact pixels in every mode, whichever encoder writes them."""

from __future__ import annotations

import io
import random

import pytest
from media_samples import decode, encode
from PIL import Image

from galleria.imaging.convert import convert_image
from galleria.imaging.png import STRIP_ROWS, write_png


def noise(mode: str, size: tuple[int, int]) -> Image.Image:
    """Random pixels with flat runs between them, so every byte value and row change occurs."""
    rng = random.Random(mode)
    bands = len(Image.new(mode, (1, 1)).getbands())
    pixels = bytearray(rng.randbytes(size[0] * size[1] * bands))
    pixels[len(pixels) // 3 : len(pixels) // 2] = bytes(len(pixels) // 2 - len(pixels) // 3)
    return Image.frombytes(mode, size, bytes(pixels))


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_the_fast_writer_is_lossless_across_strips(mode: str) -> None:
    original = noise(mode, (37, 2 * STRIP_ROWS + 3))
    buffer = io.BytesIO()

    write_png(original, buffer)

    image = decode(buffer.getvalue())
    assert (image.format, image.mode, image.size) == ("PNG", mode, original.size)
    assert image.tobytes() == original.tobytes()


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_downloads_keep_the_pixels_and_mode_of_8_bit_originals(mode: str) -> None:
    original = noise(mode, (64, 48))

    data, _ = convert_image(encode(original, "PNG"), "png")

    image = decode(data)
    assert image.mode == mode
    assert image.tobytes() == original.tobytes()


def test_a_sixteen_bit_original_downloads_with_its_sixteen_bits() -> None:
    original = Image.new("I;16", (8, 8), 40_000)

    data, _ = convert_image(encode(original, "PNG"), "png")

    image = decode(data)
    assert image.getpixel((4, 4)) == 40_000


def test_a_colour_key_transparency_is_kept() -> None:
    original = Image.new("RGB", (8, 8), (10, 20, 30))
    original.putpixel((0, 0), (200, 0, 0))

    data, _ = convert_image(encode(original, "PNG", transparency=(10, 20, 30)), "png")

    image = decode(data).convert("RGBA")
    assert image.getpixel((4, 4))[3] == 0  # type: ignore[index]
    assert image.getpixel((0, 0)) == (200, 0, 0, 255)


def test_other_modes_are_refused() -> None:
    with pytest.raises(ValueError, match="P"):
        write_png(Image.new("P", (4, 4)), io.BytesIO())
