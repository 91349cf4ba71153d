"""open_image: user bytes are rejected with a clear reason before any expensive work."""

from __future__ import annotations

import random
import resource
import struct
import zlib

import pytest
from media_samples import encode
from PIL import Image

from galleria.errors import InvalidImage
from galleria.imaging.decode import open_image


def noisy(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Incompressible content, so encoded files are big enough to cut in half meaningfully."""
    data = random.Random(seed).randbytes(size[0] * size[1] * 3)
    return Image.frombytes("RGB", size, data)


def blank_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of any dimensions in a few KB: a decompression bomb built without Pillow."""

    def chunk(tag: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_accepted_formats_open_fully_loaded(fmt: str) -> None:
    data = encode(Image.new("RGB", (40, 30), (200, 10, 10)), fmt)

    image = open_image(data)

    assert (image.format, image.size) == (fmt, (40, 30))
    assert image.getpixel((20, 15))[0] > 150  # type: ignore[index]


def test_oversized_bytes_are_rejected_before_decoding() -> None:
    # Not even an image: the size alone decides, so nothing is parsed.
    data = b"\x89PNG\r\n\x1a\n" + bytes(int(12.3 * 1024 * 1024) - 8)

    with pytest.raises(InvalidImage, match=r"^The image is 12\.3 MB; the limit is 10 MB$"):
        open_image(data)


def test_a_custom_byte_limit_is_reported_in_its_own_unit() -> None:
    data = encode(noisy((64, 64)), "PNG")

    with pytest.raises(InvalidImage, match=r"^The image is 12\.\d KB; the limit is 2 KB$"):
        open_image(data, max_bytes=2048)


def test_empty_bytes_are_rejected() -> None:
    with pytest.raises(InvalidImage, match="empty"):
        open_image(b"")


def test_too_many_pixels_names_the_dimensions_and_the_limit() -> None:
    data = blank_png(12000, 12000)

    with pytest.raises(InvalidImage) as caught:
        open_image(data)

    assert caught.value.message == "The image is 12000x12000 (144.0 megapixels); the limit is 40 megapixels"


def test_a_decompression_bomb_is_rejected_without_allocating_its_pixels() -> None:
    # Given a 40 KB PNG that would decode to 400 million pixels (400 MB in mode "1")
    data = blank_png(20000, 20000)
    assert len(data) < 100_000
    before = peak_rss_mb()

    # When it is opened, Then it is refused ...
    with pytest.raises(InvalidImage, match=r"400\.0 megapixels; the limit is 40 megapixels"):
        open_image(data)

    # ... and the process never grew by anything like the decoded size.
    assert peak_rss_mb() - before < 100


def test_a_generous_pixel_limit_lets_a_large_image_through() -> None:
    image = open_image(blank_png(9000, 9000), max_pixels=90_000_000)

    assert image.size == (9000, 9000)


@pytest.mark.parametrize(("fmt", "keep"), [("PNG", 0.6), ("JPEG", 0.5), ("WEBP", 0.5)])
def test_truncated_files_are_reported_as_corrupt(fmt: str, keep: float) -> None:
    data = encode(noisy((200, 200)), fmt)

    with pytest.raises(InvalidImage) as caught:
        open_image(data[: int(len(data) * keep)])

    assert caught.value.message == "The image is truncated or corrupt"


def test_a_damaged_header_is_reported_as_corrupt() -> None:
    data = bytearray(encode(Image.new("RGB", (10, 10)), "PNG"))
    data[12:16] = b"XXXX"  # the IHDR chunk type

    with pytest.raises(InvalidImage, match="truncated or corrupt"):
        open_image(bytes(data))


@pytest.mark.parametrize("data", [b"hello world, definitely not pixels", bytes(range(256)) * 4])
def test_non_image_bytes_are_rejected(data: bytes) -> None:
    with pytest.raises(InvalidImage) as caught:
        open_image(data)

    assert caught.value.message == "The data is not a recognised image; use PNG, JPEG or WEBP"


@pytest.mark.parametrize(
    "svg",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10"/></svg>',
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    ],
)
def test_svg_text_is_named_as_an_unsupported_format(svg: bytes) -> None:
    with pytest.raises(InvalidImage) as caught:
        open_image(svg)

    assert caught.value.message == "Unsupported image format 'SVG'; use PNG, JPEG or WEBP"


@pytest.mark.parametrize(("fmt", "name"), [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF")])
def test_other_real_formats_are_named(fmt: str, name: str) -> None:
    data = encode(Image.new("RGB", (8, 8)), fmt)

    with pytest.raises(InvalidImage) as caught:
        open_image(data)

    assert caught.value.message == f"Unsupported image format '{name}'; use PNG, JPEG or WEBP"


def test_the_format_is_judged_by_content_against_the_allowed_set() -> None:
    data = encode(Image.new("RGB", (8, 8)), "PNG")

    with pytest.raises(InvalidImage, match=r"^Unsupported image format 'PNG'; use JPEG$"):
        open_image(data, allowed_formats=frozenset({"JPEG"}))


def animation(fmt: str) -> bytes:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ("red", "green", "blue")]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_animated_images_are_rejected_when_a_still_is_needed(fmt: str) -> None:
    with pytest.raises(InvalidImage, match="Animated images are not supported"):
        open_image(animation(fmt))


def test_an_animated_gif_is_rejected_even_where_gif_is_allowed() -> None:
    with pytest.raises(InvalidImage, match="Animated images are not supported"):
        open_image(animation("GIF"), allowed_formats=frozenset({"GIF"}))


def test_animation_can_be_allowed_and_gives_the_first_frame() -> None:
    image = open_image(animation("WEBP"), allow_animated=True)

    assert image.convert("RGB").getpixel((8, 8)) == pytest.approx((255, 0, 0), abs=20)


def test_a_multi_picture_jpeg_from_a_phone_is_a_still_jpeg() -> None:
    # Pillow reports these as "MPO"; users know them as JPEG photos.
    frames = [Image.new("RGB", (32, 24), "orange"), Image.new("RGB", (32, 24), "purple")]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])

    image = open_image(data)

    assert image.size == (32, 24)


def test_exif_orientation_is_applied() -> None:
    # Given a landscape JPEG whose EXIF says "rotate 90 degrees to display"
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(Image.new("RGB", (60, 20), "white"), "JPEG", exif=exif)

    image = open_image(data)

    assert image.size == (20, 60)
    assert image.getexif().get(0x0112) is None


def test_a_jpeg_draft_decodes_at_a_reduced_scale_but_not_below_the_request() -> None:
    data = encode(noisy((1600, 800)), "JPEG")

    image = open_image(data, draft=300)

    assert 300 <= max(image.size) < 1600
    assert image.size[0] == 2 * image.size[1]
