"""The procedural landscape: sky, sun or moon, stars, clouds, ridges, water, skyline and trees."""

from __future__ import annotations

import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

from galleria.imaging.effects import Size, aa_disc, mix, scale, solid, vertical_gradient
from galleria.imaging.palette import RGB, Palette

_RIDGE_POINTS = 129  # 2**7 + 1 for midpoint displacement


@dataclass(frozen=True, slots=True)
class _Layer:
    """One ridge: distance (0 far .. 2 near), baseline, height and jaggedness, all relative to the image."""

    depth: int
    base: float
    height: float
    roughness: float


_LAYERS = (_Layer(0, 0.0, 0.30, 0.58), _Layer(1, 0.06, 0.13, 0.5), _Layer(2, 0.2, 0.09, 0.42))


def draw_scene(size: Size, palette: Palette, rng: random.Random) -> Image.Image:
    """An RGB landscape of ``size`` whose layout comes from ``rng`` and colours from ``palette``."""
    height = size[1]
    horizon = round(height * rng.uniform(0.52, 0.64))
    image = vertical_gradient(
        size,
        [
            (0.0, palette.sky_top),
            (horizon / height, palette.sky_horizon),
            (1.0, scale(palette.sky_horizon, 0.8)),
        ],
    )
    if palette.night:
        _stars(image, rng, horizon)
    _sun(image, palette, rng, horizon)
    _clouds(image, palette, rng, horizon)
    layers = _LAYERS[:1] if palette.water else _LAYERS
    for layer in layers:
        ridge = _ridge(rng, layer.roughness)
        tops = [horizon + height * (layer.base - layer.height * value) for value in ridge]
        colour = mix(palette.land[layer.depth], palette.sky_horizon, (0.45, 0.18, 0.0)[layer.depth])
        _fill_ridge(image, tops, colour, scale(colour, 0.72))
        if layer.depth == 0 and palette.snow:
            _snow_caps(image, tops, rng, height * layer.height)
        if layer.depth > 0 and palette.trees:
            _trees(image, tops, rng, scale(palette.land[layer.depth], 0.7), height * 0.05 * layer.depth)
    if palette.city:
        _skyline(image, palette, rng, horizon)
    if palette.water:
        _water(image, palette, rng, horizon)
    return image


def _ridge(rng: random.Random, roughness: float) -> list[float]:
    """Midpoint displacement: a 1-D fractal profile normalised to 0..1."""
    points = [0.0] * _RIDGE_POINTS
    points[0], points[-1] = rng.uniform(-1, 1), rng.uniform(-1, 1)
    step, amplitude = _RIDGE_POINTS - 1, 1.0
    while step > 1:
        half = step // 2
        for i in range(half, _RIDGE_POINTS - 1, step):
            points[i] = (points[i - half] + points[i + half]) / 2 + rng.uniform(-amplitude, amplitude)
        amplitude *= roughness
        step = half
    low, high = min(points), max(points)
    return [(value - low) / ((high - low) or 1.0) for value in points]


def _outline(width: int, tops: list[float]) -> list[tuple[float, float]]:
    last = len(tops) - 1
    return [(width * i / last, y) for i, y in enumerate(tops)]


def _fill_ridge(image: Image.Image, tops: list[float], top: RGB, bottom: RGB) -> None:
    """Fill below the ridge with a vertical gradient (lighter at the crest, like haze)."""
    width, height = image.size
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).polygon([*_outline(width, tops), (width, height), (0, height)], fill=255)
    crest = max(0.0, min(tops)) / height
    shade = vertical_gradient(image.size, [(0.0, top), (crest, top), (1.0, bottom)])
    image.paste(shade, mask=mask)


def _snow_caps(image: Image.Image, tops: list[float], rng: random.Random, depth: float) -> None:
    width, height = image.size
    snowline = [y + depth * rng.uniform(0.1, 0.2) for y in tops]
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    draw.polygon([*_outline(width, tops), (width, height), (0, height)], fill=255)
    draw.polygon([*_outline(width, snowline), (width, height), (0, height)], fill=0)
    image.paste(solid(image.size, (238, 243, 250)), mask=mask)


def _sun(image: Image.Image, palette: Palette, rng: random.Random, horizon: int) -> None:
    """A sun (or a crescent moon at night) with a soft glow."""
    width, height = image.size
    radius = min(width, height) * rng.uniform(0.05, 0.085)
    cx, cy = width * rng.uniform(0.15, 0.85), horizon * rng.uniform(0.25, 0.7)
    small = (max(1, width // 8), max(1, height // 8))
    glow = Image.new("L", small, 0)
    reach = radius * (1.8 if palette.night else 3.0) / 8
    ImageDraw.Draw(glow).ellipse((cx / 8 - reach, cy / 8 - reach, cx / 8 + reach, cy / 8 + reach), fill=150)
    glow = glow.filter(ImageFilter.GaussianBlur(reach * 0.8)).resize(image.size, Image.Resampling.BILINEAR)
    image.paste(solid(image.size, palette.sun), mask=glow)
    disc = aa_disc(radius)
    corner = (round(cx - radius), round(cy - radius))
    shift = round(radius * 0.45)
    sky = image.getpixel(
        (min(width - 1, max(0, round(cx) + shift)), min(height - 1, max(0, round(cy) - shift // 2)))
    )
    image.paste(solid(disc.size, palette.sun), corner, mask=disc)
    if palette.night and isinstance(sky, tuple):  # cover most of the disc with sky to leave a crescent
        image.paste(
            solid(disc.size, (int(sky[0]), int(sky[1]), int(sky[2]))),
            (corner[0] + shift, corner[1] - shift // 2),
            mask=disc,
        )


def _stars(image: Image.Image, rng: random.Random, horizon: int) -> None:
    width = image.size[0]
    draw = ImageDraw.Draw(image)
    for _ in range(width * horizon // 2500):
        x, y = rng.randrange(width), rng.randrange(max(1, horizon))
        level = rng.randint(120, 255)
        colour = (level, level, min(255, level + 20))
        if rng.random() < 0.08:
            draw.ellipse((x - 1, y - 1, x + 1, y + 1), fill=colour)
        else:
            draw.point((x, y), fill=colour)


def _clouds(image: Image.Image, palette: Palette, rng: random.Random, horizon: int) -> None:
    """Soft clusters of ellipses, drawn and blurred at quarter size."""
    width, height = image.size
    small = (max(1, width // 4), max(1, height // 4))
    mask = Image.new("L", small, 0)
    draw = ImageDraw.Draw(mask)
    for _ in range(rng.randint(2, 5)):
        cx, cy = rng.uniform(0, small[0]), rng.uniform(0.1, 0.75) * horizon / 4
        spread = small[0] * rng.uniform(0.08, 0.2)
        for _ in range(rng.randint(4, 8)):
            x = cx + rng.uniform(-spread, spread)
            y = cy + rng.uniform(-spread, spread) * 0.2
            rx, ry = spread * rng.uniform(0.25, 0.5), spread * rng.uniform(0.1, 0.22)
            draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=rng.randint(110, 190))
    mask = mask.filter(ImageFilter.GaussianBlur(small[0] / 120 + 1)).resize(
        image.size, Image.Resampling.BILINEAR
    )
    light = mix(palette.sky_horizon, (255, 255, 255), 0.15 if palette.night else 0.55)
    image.paste(solid(image.size, scale(light, 0.6) if palette.night else light), mask=mask)


def _trees(image: Image.Image, tops: list[float], rng: random.Random, colour: RGB, size: float) -> None:
    """Conifers along a ridge: narrow triangles standing on the crest line."""
    width = image.size[0]
    draw = ImageDraw.Draw(image)
    last = len(tops) - 1
    x = rng.uniform(0, size)
    while x < width:
        position = x / width * last
        i = min(last - 1, int(position))
        ground = tops[i] + (tops[i + 1] - tops[i]) * (position - i) + size * 0.15
        tall = size * rng.uniform(0.6, 1.3)
        half = tall * 0.22
        draw.polygon([(x - half, ground), (x + half, ground), (x, ground - tall)], fill=colour)
        x += size * rng.uniform(0.25, 0.9)


def _skyline(image: Image.Image, palette: Palette, rng: random.Random, horizon: int) -> None:
    """Blocks of towers on the horizon with lit windows."""
    width, height = image.size
    draw = ImageDraw.Draw(image)
    body = scale(palette.land[2], 0.8)
    lights = (palette.accent, palette.sun, mix(palette.accent, (255, 255, 255), 0.5))
    cell = max(4, min(width, height) // 110)
    x = rng.uniform(-width * 0.02, 0)
    while x < width:
        tower_w = width * rng.uniform(0.03, 0.075)
        top = horizon - height * rng.uniform(0.06, 0.3)
        bottom = horizon + height * 0.03
        draw.rectangle((x, top, x + tower_w, bottom), fill=body)
        for wy in range(round(top + cell), round(bottom - cell), cell * 2):
            for wx in range(round(x + cell * 0.6), round(x + tower_w - cell), cell * 2):
                if rng.random() < 0.32:
                    draw.rectangle((wx, wy, wx + cell - 1, wy + cell - 1), fill=rng.choice(lights))
        x += tower_w + width * rng.uniform(0.0, 0.015)


def _water(image: Image.Image, palette: Palette, rng: random.Random, horizon: int) -> None:
    """Everything below the horizon becomes a darkened, tinted mirror of the sky, with ripples."""
    width, height = image.size
    depth = height - horizon
    if depth <= 0:
        return
    above = image.crop((0, max(0, horizon - depth), width, horizon)).transpose(
        Image.Transpose.FLIP_TOP_BOTTOM
    )
    if above.size != (width, depth):
        above = above.resize((width, depth), Image.Resampling.BILINEAR)
    deep = scale(palette.land[1], 0.8)
    reflection = Image.blend(
        above, vertical_gradient(above.size, [(0.0, palette.land[0]), (1.0, deep)]), 0.45
    )
    draw = ImageDraw.Draw(reflection)
    ripple = mix(palette.sky_horizon, (255, 255, 255), 0.3)
    for _ in range(depth // 3):
        y = depth * rng.random() ** 1.6
        length = width * rng.uniform(0.01, 0.06) * (0.4 + y / depth)
        x = rng.uniform(-length, width)
        draw.line((x, y, x + length, y), fill=ripple, width=max(1, round(y / depth * 3)))
    image.paste(reflection, (0, horizon))
