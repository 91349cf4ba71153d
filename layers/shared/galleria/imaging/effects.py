"""Pillow building blocks for the procedural model: gradients, blurs, grain, edges, tints.

Everything runs in Pillow's C code (point LUTs, filters, channel ops); Python only loops over a
handful of values, never over pixels, and randomness comes from the caller's seeded RNG.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from itertools import pairwise

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

from galleria.imaging.palette import RGB

Size = tuple[int, int]
_GRADIENT_STEPS = 256


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend of two colours (t=0 gives a, t=1 gives b)."""
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def scale(colour: RGB, factor: float) -> RGB:
    r, g, b = (min(255, max(0, round(channel * factor))) for channel in colour)
    return r, g, b


def vertical_gradient(size: Size, stops: Sequence[tuple[float, RGB]]) -> Image.Image:
    """RGB image whose rows interpolate between (position 0..1, colour) stops, top to bottom."""
    column = Image.new("RGB", (1, _GRADIENT_STEPS))
    pixels = column.load()
    assert pixels is not None
    for row in range(_GRADIENT_STEPS):
        t = row / (_GRADIENT_STEPS - 1)
        (t0, c0), (t1, c1) = next(
            (segment for segment in pairwise(stops) if t <= segment[1][0]), (stops[-2], stops[-1])
        )
        span = t1 - t0
        pixels[0, row] = mix(c0, c1, min(1.0, max(0.0, (t - t0) / span)) if span > 0 else 1.0)
    return column.resize(size, Image.Resampling.BILINEAR)


def horizontal_gradient(size: Size, left: RGB, right: RGB) -> Image.Image:
    return vertical_gradient((size[1], size[0]), [(0.0, left), (1.0, right)]).transpose(
        Image.Transpose.ROTATE_90
    )


def soft_blur(image: Image.Image, radius: float) -> Image.Image:
    """Gaussian blur; wide radii run on a downscaled copy (the result is smooth anyway), ~10x faster."""
    factor = max(1, min(8, int(radius // 4)))
    if factor == 1:
        return image.filter(ImageFilter.GaussianBlur(radius))
    small = image.reduce(factor)
    return small.filter(ImageFilter.GaussianBlur(radius / factor)).resize(
        image.size, Image.Resampling.BILINEAR
    )


def radial_mask(size: Size, curve: Callable[[float], float]) -> Image.Image:
    """'L' mask from the centre (distance 0) to the corners (distance 1), shaped by ``curve`` -> 0..1."""
    lut = [round(255 * min(1.0, max(0.0, curve(value / 255)))) for value in range(256)]
    return Image.radial_gradient("L").resize(size, Image.Resampling.BILINEAR).point(lut)


def vignette(image: Image.Image, strength: float, start: float = 0.45) -> Image.Image:
    """Darken towards the corners by up to ``strength`` (0..1), beginning at ``start`` of the radius."""

    def falloff(distance: float) -> float:
        t = max(0.0, (distance - start) / (1 - start))
        return 1 - strength * t * t

    mask = radial_mask(image.size, falloff)
    return ImageChops.multiply(image, Image.merge("RGB", (mask, mask, mask)))


def noise(size: Size, rng: random.Random, grain: int = 1) -> Image.Image:
    """Uniform 'L' noise from the seeded RNG; ``grain`` > 1 makes softer, clumpier noise."""
    small = (max(1, size[0] // grain), max(1, size[1] // grain))
    image = Image.frombytes("L", small, rng.randbytes(small[0] * small[1]))
    return image if small == size else image.resize(size, Image.Resampling.BILINEAR)


def add_grain(image: Image.Image, rng: random.Random, amount: int, grain: int = 1) -> Image.Image:
    """Monochrome grain of +-``amount`` levels."""
    lut = [128 + round((value - 128) * amount / 128) for value in range(256)]
    layer = noise(image.size, rng, grain).point(lut)
    return ImageChops.add(image, Image.merge("RGB", (layer, layer, layer)), offset=-128)


def luminance(image: Image.Image) -> Image.Image:
    return image.convert("L")


def edge_mask(image: Image.Image, threshold: int, thickness: int = 1, smooth: float = 1.5) -> Image.Image:
    """'L' mask, 255 on edges stronger than ``threshold``, grown to about ``thickness`` pixels.

    The image is blurred by ``smooth`` first so gradients and soft shapes (sky, glow, clouds) do not
    produce speckle; the frame's outermost pixels are cleared (the filter sees the border as an edge).
    """
    grey = luminance(image)
    if smooth > 0:
        grey = grey.filter(ImageFilter.GaussianBlur(smooth))
    edges = grey.filter(ImageFilter.FIND_EDGES).point(lambda v: 255 if v > threshold else 0)
    if thickness > 1:
        edges = edges.filter(ImageFilter.MaxFilter(2 * (thickness // 2) + 1))
    width, height = edges.size
    frame = max(2, thickness)
    ImageDraw.Draw(edges).rectangle((0, 0, width - 1, height - 1), outline=0, width=frame)
    return edges


def tint(image: Image.Image, dark: RGB, light: RGB, amount: float, mid: RGB | None = None) -> Image.Image:
    """Blend ``amount`` of a duotone (luminance mapped dark->light) over the image."""
    toned = ImageOps.colorize(luminance(image), black=dark, white=light, mid=mid)
    return Image.blend(image, toned, amount)


def curve(image: Image.Image, fn: Callable[[float], float]) -> Image.Image:
    """Apply the same tone curve (0..1 -> 0..1) to every channel through one lookup table."""
    lut = [round(255 * min(1.0, max(0.0, fn(value / 255)))) for value in range(256)]
    return image.point(lut * len(image.getbands()))


def channel_gains(image: Image.Image, gains: tuple[float, float, float]) -> Image.Image:
    """Multiply R, G and B by separate factors (a white-balance shift)."""
    lut = [min(255, round(value * gain)) for gain in gains for value in range(256)]
    return image.point(lut)


def aa_disc(radius: float, supersample: int = 4) -> Image.Image:
    """An anti-aliased filled circle as an 'L' mask of side 2*radius (drawn large, then reduced)."""
    side = max(2, round(2 * radius))
    big = Image.new("L", (side * supersample, side * supersample), 0)
    ImageDraw.Draw(big).ellipse((0, 0, side * supersample - 1, side * supersample - 1), fill=255)
    return big.reduce(supersample)


def solid(size: Size, colour: RGB) -> Image.Image:
    return Image.new("RGB", size, colour)
