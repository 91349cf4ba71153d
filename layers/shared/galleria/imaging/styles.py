"""Style presets: each turns a rendered RGB scene into a visibly distinct treatment.

Tonal and filter styles live here; the ones that redraw the picture as shapes are in ``facets``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from galleria.catalog import STYLE_PRESETS
from galleria.imaging.effects import (
    Size,
    add_grain,
    channel_gains,
    curve,
    edge_mask,
    horizontal_gradient,
    luminance,
    soft_blur,
    solid,
    tint,
    vertical_gradient,
    vignette,
)
from galleria.imaging.facets import isometric, low_poly, origami, shaded_spheres
from galleria.imaging.palette import Palette

Style = Callable[[Image.Image, Palette, random.Random], Image.Image]

BLACK = (0, 0, 0)
WHITE = (255, 255, 255)


def apply_style(image: Image.Image, style: str, palette: Palette, rng: random.Random) -> Image.Image:
    """Return ``image`` (RGB) with the preset applied; raises ValueError for an unknown preset."""
    try:
        treatment = _STYLES[style]
    except KeyError:
        raise ValueError(f"unknown style {style!r}; expected one of {', '.join(STYLE_PRESETS)}") from None
    return treatment(image, palette, rng)


def _short_side(image: Image.Image) -> int:
    return min(image.size)


def none(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    return image


def photographic(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    """Lens softness, depth of field (the distance is blurred), a gentle S-curve, muted warm colour."""
    side = _short_side(image)
    soft = image.filter(ImageFilter.GaussianBlur(max(0.6, side / 900)))
    distant = soft_blur(image, side / 90)
    focus = vertical_gradient(image.size, [(0.0, WHITE), (0.45, (150, 150, 150)), (0.75, BLACK)]).getchannel(
        0
    )
    shot = Image.composite(distant, soft, focus)
    shot = curve(shot, lambda x: x + 0.35 * (x - 0.5) * (1 - abs(2 * x - 1)))
    shot = ImageEnhance.Color(shot).enhance(0.7)
    shot = channel_gains(shot, (1.06, 1.0, 0.9))
    return vignette(shot, 0.45, start=0.35)


def digital_art(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    """Saturated, punchy and crisp."""
    vivid = ImageEnhance.Color(image).enhance(2.2)
    vivid = ImageEnhance.Contrast(vivid).enhance(1.35)
    vivid = curve(vivid, lambda x: x**0.85)
    return vivid.filter(ImageFilter.UnsharpMask(radius=3, percent=220, threshold=1))


def comic_book(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    """Flat posterized colour, halftone dots in the shadows and bold ink outlines."""
    side = _short_side(image)
    flat = ImageEnhance.Color(image).enhance(1.7)
    flat = curve(flat, lambda x: min(1.0, 0.12 + 1.05 * x))
    flat = ImageOps.posterize(flat.filter(ImageFilter.SMOOTH_MORE), 2)
    flat = curve(flat, lambda x: min(1.0, x * 1.3))  # posterize floors each level; lift them back
    shadows = luminance(flat).point(lambda v: 150 if v < 100 else 0)
    dots = ImageChops.multiply(_halftone(image.size, max(5, side // 90)), shadows)
    flat.paste(solid(image.size, (25, 15, 40)), mask=dots)
    ink = edge_mask(image, 10, thickness=max(3, side // 200), smooth=2.0)
    flat.paste(solid(image.size, (10, 10, 15)), mask=ink)
    return flat


def _halftone(size: Size, cell: int) -> Image.Image:
    """An 'L' mask of dots on a square grid, built by tiling one cell (a few hundred pastes)."""
    tile = Image.new("L", (cell, cell), 0)
    inset = cell * 0.2
    ImageDraw.Draw(tile).ellipse((inset, inset, cell - inset, cell - inset), fill=255)
    row = Image.new("L", (size[0], cell), 0)
    for x in range(0, size[0], cell):
        row.paste(tile, (x, 0))
    sheet = Image.new("L", size, 0)
    for y in range(0, size[1], cell):
        sheet.paste(row, (0, y))
    return sheet


def fantasy_art(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    """Bloom around the lights, a violet wash and drifting sparkles."""
    side = _short_side(image)
    highlights = curve(image, lambda x: max(0.0, (x - 0.45) / 0.55) ** 1.5)
    glowing = ImageChops.screen(image, soft_blur(highlights, side / 25))
    glowing = ImageChops.screen(glowing, soft_blur(highlights, side / 80))
    dreamy = tint(glowing, (35, 5, 70), (255, 225, 250), 0.5, mid=(160, 95, 220))
    sparkles = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(sparkles)
    for _ in range(side // 8):
        x, y, r = (
            rng.uniform(0, image.size[0]),
            rng.uniform(0, image.size[1]),
            rng.uniform(1, side / 250 + 1.5),
        )
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.randint(120, 255))
    sparkles = ImageChops.lighter(sparkles, sparkles.filter(ImageFilter.GaussianBlur(side / 200 + 1)))
    return Image.composite(solid(image.size, (255, 240, 255)), dreamy, sparkles)


def analog_film(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    """Sepia-leaning colour, lifted blacks, grain and a heavy vignette."""
    aged = tint(image, (40, 24, 12), (248, 232, 200), 0.75, mid=(165, 125, 85))
    aged = curve(aged, lambda x: 0.09 + 0.82 * x)
    aged = add_grain(aged, rng, 22, grain=2)
    return vignette(aged, 0.7, start=0.25)


def neon_punk(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    """A near-black base with every contour glowing magenta to cyan, over a synthwave floor grid."""
    side = _short_side(image)
    base = tint(curve(image, lambda x: 0.3 * x), (4, 0, 14), (70, 15, 95), 0.7)
    neon = horizontal_gradient(image.size, (255, 40, 200), (0, 235, 255))
    mask = edge_mask(image, 6, thickness=max(3, side // 300), smooth=2.0)
    mask = ImageChops.lighter(mask, _floor_grid(image.size))
    lines = Image.composite(neon, solid(image.size, BLACK), mask)
    glow = curve(soft_blur(lines, side / 70), lambda x: min(1.0, 2.5 * x))
    return ImageChops.screen(ImageChops.screen(base, glow), lines)


def _floor_grid(size: Size) -> Image.Image:
    """Perspective grid lines over the bottom fifth of the frame."""
    width, height = size
    top = round(height * 0.8)
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    line = max(1, min(size) // 400)
    for i in range(1, 9):
        y = top + (height - top) * (i / 8) ** 1.8
        draw.line((0, y, width, y), fill=200, width=line)
    for i in range(-12, 13):
        draw.line((width / 2 + i * width / 40, top, width / 2 + i * width / 6, height), fill=200, width=line)
    return mask


def line_art(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    """Ink contours on paper, with diagonal hatching in the darker areas."""
    side = _short_side(image)
    width, height = image.size
    paper = solid(image.size, (250, 247, 238))
    shadows = luminance(image).point(lambda v: 200 if v < 60 else (110 if v < 110 else 0))
    hatch = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(hatch)
    step = max(6, side // 90)
    for x in range(-height, width, step):
        draw.line((x, height, x + height, 0), fill=255, width=max(1, side // 700))
    paper.paste(solid(image.size, (60, 60, 75)), mask=ImageChops.multiply(hatch, shadows))
    ink = edge_mask(image, 6, thickness=max(2, side // 400), smooth=2.0)
    paper.paste(solid(image.size, (20, 20, 30)), mask=ink)
    return paper


def cinematic(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    """Teal shadows, orange highlights, contrast, and letterbox bars."""
    graded = tint(image, (0, 48, 60), (255, 186, 110), 0.55, mid=(110, 120, 115))
    graded = ImageEnhance.Contrast(graded).enhance(1.2)
    graded = vignette(graded, 0.35)
    width, height = image.size
    # 2.39:1 bars on a landscape frame; at least 7% and at most 12% of the height each.
    bar = min(round(height * 0.12), max(round(height * 0.07), round((height - width / 2.39) / 2)))
    if bar > 0:
        draw = ImageDraw.Draw(graded)
        draw.rectangle((0, 0, width, bar - 1), fill=BLACK)
        draw.rectangle((0, height - bar, width, height), fill=BLACK)
    return graded


_STYLES: dict[str, Style] = {
    "none": none,
    "photographic": photographic,
    "digital-art": digital_art,
    "comic-book": comic_book,
    "fantasy-art": fantasy_art,
    "analog-film": analog_film,
    "neon-punk": neon_punk,
    "isometric": isometric,
    "low-poly": low_poly,
    "origami": origami,
    "line-art": line_art,
    "cinematic": cinematic,
    "3d-model": shaded_spheres,
}
assert tuple(_STYLES) == STYLE_PRESETS
