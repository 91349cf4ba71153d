"""The offline "local/procedural" model: deterministic, prompt-coloured, styled and sized pictures."""

from __future__ import annotations

import io
import itertools
import math
import struct
from typing import TypedDict

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageOps, ImageStat

from galleria.imaging.procedural import ASPECT_RATIO_SIZES, STYLE_PRESETS, render


class Size(TypedDict):
    width: int
    height: int


SMALL: Size = {"width": 256, "height": 256}


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def thumbnail(png: bytes, side: int = 64) -> Image.Image:
    return decode(png).convert("RGB").resize((side, side), Image.Resampling.BOX)


def mean_difference(a: bytes, b: bytes) -> float:
    """Mean absolute per-channel difference (0..255) of 64x64 reductions: what the eye sees, not noise."""
    return sum(ImageStat.Stat(ImageChops.difference(thumbnail(a), thumbnail(b))).mean) / 3


def correlation(a: Image.Image, b: Image.Image) -> float:
    """Pearson correlation of two images' 32x32 greyscale reductions."""
    xs, ys = (list(image.convert("L").resize((32, 32), Image.Resampling.BOX).tobytes()) for image in (a, b))
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


def mean_rgb(png: bytes) -> tuple[float, float, float]:
    r, g, b = ImageStat.Stat(decode(png).convert("RGB")).mean
    return r, g, b


def test_the_presets_are_the_documented_thirteen_in_order() -> None:
    assert STYLE_PRESETS == (
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


def test_the_aspect_ratio_table_is_exact() -> None:
    assert ASPECT_RATIO_SIZES == {
        "1:1": (1024, 1024),
        "16:9": (1344, 768),
        "9:16": (768, 1344),
        "4:3": (1184, 864),
        "3:4": (864, 1184),
        "21:9": (1536, 672),
        "9:21": (672, 1536),
    }


@pytest.mark.parametrize("ratio", list(ASPECT_RATIO_SIZES))
def test_every_aspect_ratio_renders_at_exactly_its_size(ratio: str) -> None:
    width, height = ASPECT_RATIO_SIZES[ratio]

    png = render("a lighthouse on a cliff", seed=1, width=width, height=height)

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png[16:24]) == (width, height)
    assert decode(png).size == (width, height)


def test_the_same_inputs_give_byte_identical_png() -> None:
    first = render("sunset over the ocean", seed=42, style="fantasy-art", **SMALL)
    second = render("sunset over the ocean", seed=42, style="fantasy-art", **SMALL)

    assert first == second


@pytest.mark.parametrize("style", ["analog-film", "origami", "3d-model", "isometric"])
def test_randomised_styles_are_deterministic_too(style: str) -> None:
    assert render("a quiet village", seed=7, style=style, **SMALL) == render(
        "a quiet village", seed=7, style=style, **SMALL
    )


def test_different_seeds_give_clearly_different_pictures() -> None:
    pictures = [render("a misty forest at dawn", seed=seed, **SMALL) for seed in range(4)]

    for a, b in itertools.combinations(pictures, 2):
        assert mean_difference(a, b) > 10


def test_different_prompts_give_clearly_different_pictures() -> None:
    prompts = ["a red fox", "a teapot on a table", "the surface of mars", "jazz musicians"]
    pictures = [render(prompt, seed=1, **SMALL) for prompt in prompts]

    for a, b in itertools.combinations(pictures, 2):
        assert mean_difference(a, b) > 12


def test_the_output_is_a_picture_not_noise() -> None:
    # A landscape changes smoothly: neighbouring pixels mostly agree, unlike random noise.
    image = decode(render("rolling hills", seed=3, **SMALL)).convert("L")
    shifted = ImageChops.offset(image, 1, 0)

    assert ImageStat.Stat(ImageChops.difference(image, shifted)).mean[0] < 6
    assert ImageStat.Stat(image).stddev[0] > 20  # ... but it is not a flat colour either


@pytest.mark.parametrize(
    ("warmer", "cooler"),
    [("sunset over the hills", "winter morning"), ("desert canyon", "a calm ocean")],
)
def test_warm_prompts_are_redder_than_cool_ones(warmer: str, cooler: str) -> None:
    wr, _, wb = mean_rgb(render(warmer, seed=5, **SMALL))
    cr, _, cb = mean_rgb(render(cooler, seed=5, **SMALL))

    assert wr - wb > cr - cb + 20


def test_ocean_is_blue_and_forest_is_green() -> None:
    ocean_r, ocean_g, ocean_b = mean_rgb(render("the open sea", seed=2, **SMALL))
    forest_r, forest_g, forest_b = mean_rgb(render("a pine forest", seed=2, **SMALL))

    assert ocean_b > ocean_r + 40
    assert forest_g > forest_r + 20
    assert forest_g - forest_b > ocean_g - ocean_b + 20


def test_night_is_darker_than_day() -> None:
    night = ImageStat.Stat(decode(render("a starry night", seed=9, **SMALL)).convert("L")).mean[0]
    day = ImageStat.Stat(decode(render("a spring meadow", seed=9, **SMALL)).convert("L")).mean[0]

    assert night < day - 40


def test_neon_prompts_are_magenta_and_cyan() -> None:
    image = decode(render("neon cyberpunk street", seed=4, **SMALL)).convert("RGB")
    r, g, b = ImageStat.Stat(image).mean

    # A magenta/violet cast rather than green or yellow.
    assert b > g + 10
    assert r > g + 5


@pytest.mark.parametrize("prompt", ["sunset over the ocean", "a red fox in the snow"])
def test_every_style_is_visibly_distinct_from_every_other(prompt: str) -> None:
    pictures = {style: render(prompt, seed=11, style=style, **SMALL) for style in STYLE_PRESETS}

    too_close = [
        (a, b, round(difference, 1))
        for a, b in itertools.combinations(STYLE_PRESETS, 2)
        if (difference := mean_difference(pictures[a], pictures[b])) < 8
    ]
    assert too_close == []


@pytest.mark.parametrize("style", STYLE_PRESETS)
@pytest.mark.parametrize(("width", "height"), [(1, 1), (7, 3), (3, 40), (97, 61)])
def test_every_style_handles_tiny_and_odd_sizes(style: str, width: int, height: int) -> None:
    assert decode(render("odd sizes", seed=1, width=width, height=height, style=style)).size == (
        width,
        height,
    )


def source_image() -> Image.Image:
    """Bright left half, dark right half with a bright disc: nothing like a landscape."""
    image = Image.new("RGB", (300, 200), (30, 30, 30))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 150, 200), fill=(230, 230, 230))
    draw.ellipse((170, 40, 280, 150), fill=(250, 250, 250))
    return image


@pytest.mark.parametrize(
    "style", ["none", "photographic", "digital-art", "comic-book", "low-poly", "cinematic", "3d-model"]
)
def test_a_source_image_shows_through(style: str) -> None:
    source = source_image()
    expected = ImageOps.fit(source, (256, 256))

    derived = decode(render("a misty forest", seed=4, style=style, source=source, **SMALL))
    unrelated = decode(render("a misty forest", seed=4, style=style, **SMALL))

    assert correlation(derived, expected) > 0.6
    assert correlation(derived, expected) > correlation(unrelated, expected) + 0.4


def test_a_source_with_transparency_shows_the_scene_through_it() -> None:
    source = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    ImageDraw.Draw(source).rectangle((0, 0, 50, 100), fill=(255, 255, 255, 255))

    derived = decode(render("a misty forest", seed=4, source=source, **SMALL)).convert("RGB")
    plain = decode(render("a misty forest", seed=4, **SMALL)).convert("RGB")

    right = (160, 0, 256, 256)
    assert mean_difference(_png(derived.crop(right)), _png(plain.crop(right))) < 20
    assert ImageStat.Stat(derived.crop((0, 0, 100, 256))).mean[0] > 180


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_the_source_changes_the_output_deterministically() -> None:
    source = source_image()

    first = render("x", seed=1, source=source, **SMALL)

    assert first == render("x", seed=1, source=source.copy(), **SMALL)
    assert first != render("x", seed=1, **SMALL)


def test_an_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown style 'watercolour'"):
        render("x", seed=1, style="watercolour", **SMALL)


@pytest.mark.parametrize(("width", "height"), [(0, 10), (10, 0), (5000, 10), (-1, -1)])
def test_sizes_out_of_range_are_refused(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 4096"):
        render("x", seed=1, width=width, height=height)
