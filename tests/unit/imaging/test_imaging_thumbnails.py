"""Thumbnails: WebP, longest side fixed, aspect kept, alpha kept, never upscaled."""

from __future__ import annotations

import io

import pytest
from media_samples import decode, encode
from PIL import Image, ImageDraw

from galleria.errors import InvalidImage
from galleria.imaging.thumbnails import make_thumbnail, make_thumbnails


def picture(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue, so orientation and scaling mistakes show."""
    image = Image.new(mode, size, (220, 20, 20, 255) if mode == "RGBA" else (220, 20, 20))
    ImageDraw.Draw(image).rectangle((size[0] // 2, 0, size[0], size[1]), fill=(20, 20, 220))
    return image


def test_default_sizes_are_webp_with_the_longest_side_fixed_largest_first() -> None:
    data = encode(picture((2000, 1000)), "PNG")

    thumbnails = make_thumbnails(data)

    assert list(thumbnails) == [512, 256]
    sizes = {size: decode(webp) for size, webp in thumbnails.items()}
    assert {image.format for image in sizes.values()} == {"WEBP"}
    assert sizes[512].size == (512, 256)
    assert sizes[256].size == (256, 128)


def test_a_portrait_original_fixes_the_height() -> None:
    data = encode(picture((600, 1500)), "JPEG")

    thumbnails = make_thumbnails(data, sizes=(300,))

    assert decode(thumbnails[300]).size == (120, 300)


def test_content_survives_the_reduction() -> None:
    thumbnail = decode(make_thumbnails(encode(picture((1200, 600)), "PNG"), sizes=(128,))[128])

    left, right = thumbnail.getpixel((10, 32)), thumbnail.getpixel((118, 32))
    assert left == pytest.approx((220, 20, 20), abs=25)
    assert right == pytest.approx((20, 20, 220), abs=25)


def test_small_originals_are_never_upscaled() -> None:
    thumbnails = make_thumbnails(encode(picture((100, 50)), "PNG"))

    assert [decode(webp).size for webp in thumbnails.values()] == [(100, 50), (100, 50)]


def test_sizes_are_deduplicated_and_ordered_largest_first() -> None:
    thumbnails = make_thumbnails(encode(picture((900, 900)), "PNG"), sizes=(64, 400, 64, 200))

    assert list(thumbnails) == [400, 200, 64]
    assert [decode(webp).size for webp in thumbnails.values()] == [(400, 400), (200, 200), (64, 64)]


def test_transparency_is_kept() -> None:
    original = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(original).ellipse((100, 100, 300, 300), fill=(250, 200, 0, 255))

    thumbnail = decode(make_thumbnails(encode(original, "PNG"), sizes=(100,))[100])

    assert thumbnail.mode == "RGBA"
    assert thumbnail.getpixel((2, 2))[3] == 0  # type: ignore[index]
    assert thumbnail.getpixel((50, 50))[3] == 255  # type: ignore[index]


def test_palette_transparency_counts_as_alpha() -> None:
    original = Image.new("P", (200, 200), 0)
    original.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    ImageDraw.Draw(original).rectangle((50, 50, 150, 150), fill=1)

    thumbnail = decode(make_thumbnails(encode(original, "PNG", transparency=0), sizes=(50,))[50])

    assert thumbnail.mode == "RGBA"
    assert thumbnail.getpixel((1, 1))[3] == 0  # type: ignore[index]


@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK"])
def test_opaque_images_become_rgb(mode: str) -> None:
    original = Image.new(mode, (300, 200))
    fmt = "JPEG" if mode == "CMYK" else "PNG"

    thumbnail = decode(make_thumbnails(encode(original, fmt), sizes=(100,))[100])

    assert (thumbnail.mode, thumbnail.size) == ("RGB", (100, 67))


def test_a_sixteen_bit_greyscale_png_keeps_its_tones() -> None:
    original = Image.new("I;16", (64, 64), 32768)  # mid grey; a naive convert would make it white

    thumbnail = decode(make_thumbnails(encode(original, "PNG"), sizes=(32,))[32])

    assert thumbnail.getpixel((16, 16)) == pytest.approx((128, 128, 128), abs=6)


def test_exif_rotation_is_applied_before_sizing() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(picture((800, 400)), "JPEG", exif=exif)

    thumbnail = decode(make_thumbnails(data, sizes=(200,))[200])

    assert thumbnail.size == (100, 200)


def test_a_freshly_opened_jpeg_is_thumbnailed_via_a_reduced_draft() -> None:
    original = Image.open(io.BytesIO(encode(picture((3200, 1600)), "JPEG")))

    thumbnail = decode(make_thumbnail(original, 256))

    assert thumbnail.size == (256, 128)
    # The decoder was asked for a reduced-scale draft (1/8 here) instead of the full 3200x1600.
    assert original.size == (400, 200)


def test_a_loaded_image_is_left_untouched() -> None:
    original = picture((1000, 500))

    thumbnail = decode(make_thumbnail(original, 100))

    assert thumbnail.size == (100, 50)
    assert original.size == (1000, 500)


@pytest.mark.parametrize("size", [0, -5])
def test_sizes_must_be_positive(size: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        make_thumbnail(picture((10, 10)), size)
    with pytest.raises(ValueError, match="positive"):
        make_thumbnails(encode(picture((10, 10)), "PNG"), sizes=(size,))


def test_a_damaged_original_raises_invalid_image() -> None:
    data = encode(picture((300, 300)), "PNG")

    with pytest.raises(InvalidImage):
        make_thumbnails(data[:100])


def test_the_pixel_limit_counts_a_jpeg_at_full_size_not_its_draft(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("galleria.imaging.thumbnails.STORED_MAX_PIXELS", 4_000_000)
    data = encode(picture((3200, 1600)), "JPEG")  # 5.1 MP; its 1/2-scale draft would be 1.3 MP

    with pytest.raises(InvalidImage, match=r"3200x1600 \(5\.1 megapixels\); the limit is 4 megapixels"):
        make_thumbnails(data)
