"""Style presets that redraw the picture as shapes: isometric cubes, triangle mosaics, paper folds, spheres.

Colours are sampled from a small reduction of the image (a few hundred ``getpixel`` calls at most),
and shapes are drawn with ImageDraw, so cost depends on the number of facets, not pixels.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from galleria.imaging.effects import aa_disc, curve, mix, scale, soft_blur, solid, vignette
from galleria.imaging.palette import RGB, Palette

Point = tuple[float, float]
_SAMPLE_REDUCTION = 4
_SQRT3_2 = 0.8660254


def isometric(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    """Flattened colour under an isometric grid, with shaded cubes standing in the foreground."""
    width, height = image.size
    side = min(width, height)
    flat = ImageOps.posterize(ImageEnhance.Color(image).enhance(1.3), 3)
    flat = ImageEnhance.Brightness(flat).enhance(1.1)
    grid = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(grid)
    step = side / 14
    rise = height / 0.57735  # horizontal run of a 30-degree line crossing the whole height
    x = -rise
    while x < width + rise:
        draw.line((x, height, x + rise, 0), fill=110, width=max(1, side // 500))
        draw.line((x, 0, x + rise, height), fill=110, width=max(1, side // 500))
        x += step * 2
    flat.paste(solid(image.size, (255, 255, 255)), mask=grid)
    colours = (palette.accent, palette.sun, palette.land[0], palette.sky_top)
    cubes = [
        (rng.uniform(0.08, 0.92) * width, rng.uniform(0.55, 0.92) * height, side * rng.uniform(0.06, 0.13))
        for _ in range(rng.randint(6, 10))
    ]
    draw = ImageDraw.Draw(flat)
    outline = (25, 25, 35)
    for cx, cy, a in sorted(cubes, key=lambda cube: cube[1]):
        colour = rng.choice(colours)
        dx, dy = a * _SQRT3_2, a / 2
        top = [(cx, cy - a), (cx + dx, cy - dy), (cx, cy), (cx - dx, cy - dy)]
        left = [(cx - dx, cy - dy), (cx, cy), (cx, cy + a), (cx - dx, cy + a - dy)]
        right = [(cx, cy), (cx + dx, cy - dy), (cx + dx, cy + a - dy), (cx, cy + a)]
        for face, factor in ((top, 1.25), (left, 0.85), (right, 0.55)):
            draw.polygon(face, fill=scale(colour, factor), outline=outline, width=max(1, side // 400))
    return flat


def low_poly(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    """A mosaic of small flat-shaded triangles coloured from a more saturated copy of the picture."""
    vivid = ImageEnhance.Color(image).enhance(1.5)
    return _facets(vivid, rng, cells=18, jitter=0.38, shade=_low_poly_shade)


def _low_poly_shade(colour: RGB, first: bool, rng: random.Random) -> RGB:
    return scale(colour, (1.2 if first else 0.8) + rng.uniform(-0.1, 0.1))


def origami(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    """Big folded-paper facets in pastel paper tones: each fold has a lit and a shaded half."""
    return _facets(image, rng, cells=7, jitter=0.22, shade=_origami_shade, creases=True)


def _origami_shade(colour: RGB, first: bool, rng: random.Random) -> RGB:
    pastel = mix(colour, (250, 244, 232), 0.4)
    return scale(pastel, 1.14 if first else 0.66)


def _facets(
    image: Image.Image,
    rng: random.Random,
    *,
    cells: int,
    jitter: float,
    shade: Callable[[RGB, bool, random.Random], RGB],
    creases: bool = False,
) -> Image.Image:
    """Split a jittered grid of quads into triangle pairs, each filled with its sampled, shaded colour."""
    width, height = image.size
    cell = max(width, height) / cells
    cols, rows = max(2, round(width / cell)), max(2, round(height / cell))
    cw, ch = width / cols, height / rows
    grid = [
        [
            (
                x * cw + (rng.uniform(-jitter, jitter) * cw if 0 < x < cols else 0),
                y * ch + (rng.uniform(-jitter, jitter) * ch if 0 < y < rows else 0),
            )
            for x in range(cols + 1)
        ]
        for y in range(rows + 1)
    ]
    sample = image.reduce(_SAMPLE_REDUCTION)
    out = Image.new("RGB", image.size)
    draw = ImageDraw.Draw(out)
    crease_colour = (255, 252, 245)
    for y in range(rows):
        for x in range(cols):
            a, b, c, d = grid[y][x], grid[y][x + 1], grid[y + 1][x + 1], grid[y + 1][x]
            halves = ((a, b, d), (b, c, d)) if (x + y) % 2 else ((a, b, c), (a, c, d))
            for index, triangle in enumerate(halves):
                colour = shade(_sample(sample, triangle), index == 0, rng)
                draw.polygon(triangle, fill=colour, outline=colour)
            if creases:
                fold = (b, d) if (x + y) % 2 else (a, c)
                draw.line(fold, fill=crease_colour, width=max(1, round(min(cw, ch) / 90)))
    return out


def _sample(sample: Image.Image, triangle: tuple[Point, Point, Point]) -> RGB:
    cx = sum(point[0] for point in triangle) / 3 / _SAMPLE_REDUCTION
    cy = sum(point[1] for point in triangle) / 3 / _SAMPLE_REDUCTION
    pixel = sample.getpixel(
        (min(sample.size[0] - 1, max(0, int(cx))), min(sample.size[1] - 1, max(0, int(cy))))
    )
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def shaded_spheres(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    """A matte clay render: softened, desaturated scene with lit spheres and contact shadows."""
    width, height = image.size
    side = min(width, height)
    clay = ImageEnhance.Color(soft_blur(image, side / 60)).enhance(0.35)
    clay = curve(clay, lambda x: 0.22 + 0.7 * x)
    clay = vignette(clay, 0.55, start=0.2)  # ambient occlusion towards the corners
    spheres = [
        (rng.uniform(0.1, 0.9) * width, rng.uniform(0.55, 0.9) * height, side * rng.uniform(0.07, 0.16))
        for _ in range(rng.randint(3, 6))
    ]
    shadows = Image.new("L", (max(1, width // 4), max(1, height // 4)), 0)
    draw = ImageDraw.Draw(shadows)
    for cx, cy, r in spheres:
        draw.ellipse(
            ((cx - r * 1.1) / 4, (cy + r * 0.75) / 4, (cx + r * 1.1) / 4, (cy + r * 1.15) / 4), fill=190
        )
    shadows = shadows.filter(ImageFilter.GaussianBlur(side / 250 + 1)).resize(
        image.size, Image.Resampling.BILINEAR
    )
    clay.paste(solid(image.size, (20, 18, 24)), mask=shadows)
    colours = (palette.accent, palette.sun, palette.land[1], palette.sky_top, palette.land[0])
    for cx, cy, r in sorted(spheres, key=lambda sphere: sphere[1]):
        ball, mask = _sphere(rng.choice(colours), r)
        clay.paste(ball, (round(cx - r), round(cy - r)), mask=mask)
    return clay


def _sphere(colour: RGB, radius: float) -> tuple[Image.Image, Image.Image]:
    """A lit sphere (key light top-left, dark rim for occlusion) and its anti-aliased mask."""
    mask = aa_disc(radius)
    diameter = mask.size[0]
    # radial_gradient is 0 at its centre, ~181 at the inscribed radius: crop it off-centre so the
    # brightest point sits up and to the left.
    gradient = Image.radial_gradient("L").resize((2 * diameter, 2 * diameter), Image.Resampling.BILINEAR)
    left, top = round(diameter * 0.65), round(diameter * 0.7)
    distance = gradient.crop((left, top, left + diameter, top + diameter))
    light = distance.point([round(255 * max(0.0, 1 - (v / 181) ** 1.4) ** 0.8) for v in range(256)])
    rim = (
        Image.radial_gradient("L")
        .resize((diameter, diameter))
        .point(lambda v: max(110, 255 - 2 * max(0, v - 110)))
    )
    light = ImageChops.multiply(light, rim)
    dark, lit = scale(colour, 0.18), mix(colour, (255, 255, 255), 0.65)
    return ImageOps.colorize(light, black=dark, white=lit, mid=colour), mask
