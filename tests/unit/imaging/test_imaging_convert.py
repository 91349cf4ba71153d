"""convert_image and image_info: format changes users download, and header-only facts."""

from __future__ import annotations

import random

import pytest
from media_samples import decode, encode
from PIL import Image, ImageCms, ImageDraw, PngImagePlugin

from galleria.errors import InvalidImage
from galleria.imaging.convert import ImageInfo, convert_image, image_info

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description prompt="a secret"/></rdf:RDF></x:xmpmeta>'
)
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def exif_with(**tags: object) -> Image.Exif:
    exif = Image.Exif()
    names = {"make": 0x010F, "orientation": 0x0112}
    for name, value in tags.items():
        exif[names[name]] = value
    return exif


def tagged_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", "a cat in a hat")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    image = Image.new("RGB", (40, 20), (10, 120, 240))
    return encode(image, "PNG", pnginfo=info, exif=exif_with(make="Galleria"), icc_profile=SRGB)


def half_transparent() -> Image.Image:
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((20, 0, 40, 20), fill=(200, 0, 0, 255))
    return image


@pytest.mark.parametrize(
    ("fmt", "mime", "pillow"),
    [("png", "image/png", "PNG"), ("jpeg", "image/jpeg", "JPEG"), ("webp", "image/webp", "WEBP")],
)
def test_each_target_format_opens_as_that_format(fmt: str, mime: str, pillow: str) -> None:
    data, mime_type = convert_image(encode(Image.new("RGB", (30, 20), "orange"), "PNG"), fmt)  # type: ignore[arg-type]

    assert mime_type == mime
    image = decode(data)
    assert (image.format, image.size) == (pillow, (30, 20))


def test_png_output_is_lossless() -> None:
    original = Image.frombytes("RGB", (16, 16), bytes(range(256)) * 3)

    data, _ = convert_image(encode(original, "WEBP", lossless=True), "png")

    assert decode(data).convert("RGB").tobytes() == original.tobytes()


def test_jpeg_from_rgba_puts_transparency_on_white() -> None:
    data, _ = convert_image(encode(half_transparent(), "PNG"), "jpeg")

    image = decode(data)
    assert image.mode == "RGB"
    assert image.getpixel((5, 10)) == pytest.approx((255, 255, 255), abs=6)
    assert image.getpixel((35, 10)) == pytest.approx((200, 0, 0), abs=12)


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_alpha_survives_formats_that_have_it(fmt: str) -> None:
    data, _ = convert_image(encode(half_transparent(), "PNG"), fmt)  # type: ignore[arg-type]

    image = decode(data).convert("RGBA")
    assert image.getpixel((5, 10))[3] == 0  # type: ignore[index]
    assert image.getpixel((35, 10))[3] == 255  # type: ignore[index]


def test_metadata_is_kept_by_default() -> None:
    data, _ = convert_image(tagged_png(), "png")

    image = decode(data)
    assert image.text["prompt"] == "a cat in a hat"  # type: ignore[attr-defined]
    assert image.getexif()[0x010F] == "Galleria"
    assert XMP in image.info["xmp"]
    assert image.info["icc_profile"] == SRGB


def test_strip_metadata_drops_text_exif_and_xmp_but_keeps_the_colour_profile() -> None:
    data, _ = convert_image(tagged_png(), "png", strip_metadata=True)

    assert b"tEXt" not in data
    assert b"a cat in a hat" not in data
    assert b"iTXt" not in data
    assert b"eXIf" not in data
    assert decode(data).info.get("icc_profile") == SRGB


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_strip_metadata_works_for_lossy_targets(fmt: str) -> None:
    original = encode(
        Image.new("RGB", (40, 20), "plum"),
        "JPEG",
        exif=exif_with(make="Galleria"),
        xmp=XMP,
        icc_profile=SRGB,
        comment=b"secret comment",
    )

    kept, _ = convert_image(original, fmt)  # type: ignore[arg-type]
    stripped, _ = convert_image(original, fmt, strip_metadata=True)  # type: ignore[arg-type]

    assert b"Galleria" in kept
    assert b"a secret" in kept
    for marker in (b"Galleria", b"a secret", b"secret comment"):
        assert marker not in stripped
    assert decode(stripped).info.get("icc_profile") == SRGB


def test_exif_rotation_is_baked_in_and_the_tag_dropped() -> None:
    original = encode(Image.new("RGB", (60, 20), "white"), "JPEG", exif=exif_with(orientation=6, make="Cam"))

    data, _ = convert_image(original, "png")

    image = decode(data)
    assert image.size == (20, 60)
    assert image.getexif().get(0x0112) is None
    assert image.getexif()[0x010F] == "Cam"


def test_palette_pngs_stay_palette_with_their_transparency() -> None:
    original = Image.new("P", (10, 10), 0)
    original.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    original.putpixel((5, 5), 1)

    data, _ = convert_image(encode(original, "PNG", transparency=0), "png")

    image = decode(data)
    assert image.mode == "P"
    assert image.convert("RGBA").getpixel((0, 0))[3] == 0  # type: ignore[index]
    assert image.convert("RGBA").getpixel((5, 5)) == (255, 0, 0, 255)


def test_unknown_target_format_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="gif"):
        convert_image(encode(Image.new("RGB", (4, 4)), "PNG"), "gif")  # type: ignore[arg-type]


def test_conversion_of_non_image_bytes_raises_invalid_image() -> None:
    with pytest.raises(InvalidImage):
        convert_image(b"not an image", "png")


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("PNG", ImageInfo(width=64, height=48, mime_type="image/png", format="PNG")),
        ("JPEG", ImageInfo(width=64, height=48, mime_type="image/jpeg", format="JPEG")),
        ("WEBP", ImageInfo(width=64, height=48, mime_type="image/webp", format="WEBP")),
    ],
)
def test_image_info_reports_size_and_type(fmt: str, expected: ImageInfo) -> None:
    assert image_info(encode(Image.new("RGB", (64, 48)), fmt)) == expected


def test_image_info_reads_the_header_only() -> None:
    # The pixel data is cut off, which would fail any decode; the header is intact.
    data = encode(Image.frombytes("RGB", (300, 200), random.Random(1).randbytes(300 * 200 * 3)), "PNG")

    assert image_info(data[:200]) == ImageInfo(width=300, height=200, mime_type="image/png", format="PNG")


def test_image_info_reports_the_displayed_orientation() -> None:
    data = encode(Image.new("RGB", (64, 48)), "JPEG", exif=exif_with(orientation=8))

    info = image_info(data)

    assert (info.width, info.height) == (48, 64)


def test_image_info_refuses_unsupported_formats() -> None:
    with pytest.raises(InvalidImage, match="'GIF'"):
        image_info(encode(Image.new("RGB", (4, 4)), "GIF"))


def test_image_info_is_immutable() -> None:
    info = image_info(encode(Image.new("RGB", (4, 4)), "PNG"))

    with pytest.raises(AttributeError):
        info.width = 5  # type: ignore[misc]
