"""Clean background: make a uniform or near-uniform background that touches the border transparent.

Only the background *connected to the border* is removed: a background-coloured area enclosed by the
subject (the hole of a ring, the white of an eye) stays opaque, because nothing distinguishes it
from a white part of the subject. Pillow and the standard library only: the layer stays small.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from galleria.imaging.modes import to_8bit

# Colour distance is the largest per-channel difference (Chebyshev distance on 0..255 RGB): a pixel
# within DEFAULT_TOLERANCE of the background colour in R, G and B alike is background-coloured.
DEFAULT_TOLERANCE = 32
# Pixels of soft edge on each side of the subject's outline.
DEFAULT_FEATHER = 2
# Share of the border that must be background-coloured (or already transparent); a photo's border
# is far more varied than this, a product shot or sticker on a plain backdrop far less.
MIN_BORDER_SHARE = 0.6
# Alpha below this counts as already transparent; output alpha is at least this exactly on the subject.
HALF_OPAQUE = 128
_RUN = re.compile(rb"\xff+")


class NoBackgroundFound(ValueError):
    """The image border is not a near-uniform colour, so there is no background to tell apart."""


def remove_background(
    image: Image.Image, *, tolerance: int = DEFAULT_TOLERANCE, feather: int = DEFAULT_FEATHER
) -> Image.Image:
    """An RGBA copy of ``image`` whose border-connected background is transparent.

    The background colour is the per-channel median of the border; a pixel is background when it is
    within ``tolerance`` of it (see DEFAULT_TOLERANCE) and 4-connected to the border through such
    pixels. Already transparent pixels (alpha < 128) count as background whatever colour they hide.
    The subject gets alpha 255 and the background 0, except a ramp ``feather`` pixels either side
    of the outline; alpha stays >= 128 exactly on the subject, so feathering never erases a
    hairline. No pixel becomes more opaque than it was. Raises NoBackgroundFound when less than
    MIN_BORDER_SHARE of the border is background-coloured.
    """
    if not 0 <= tolerance <= 255:
        raise ValueError(f"tolerance must be 0..255, got {tolerance}")
    if feather < 0:
        raise ValueError(f"feather must be 0 or more, got {feather}")
    if image.width == 0 or image.height == 0:
        raise ValueError("the image is empty")
    rgba = to_8bit(image).convert("RGBA")
    rgb = rgba.convert("RGB")
    alpha = rgba.getchannel("A")
    clear = alpha.point(lambda value: 255 if value < HALF_OPAQUE else 0)
    border = Image.new("L", rgba.size, 0)
    ImageDraw.Draw(border).rectangle((0, 0, rgba.width - 1, rgba.height - 1), outline=255)
    colour = _median_colour(rgb, ImageChops.subtract(border, clear))
    candidates = clear if colour is None else ImageChops.lighter(clear, _near(rgb, colour, tolerance))
    share = candidates.histogram(border)[255] / border.histogram()[255]
    if share < MIN_BORDER_SHARE:
        raise NoBackgroundFound(
            f"Only {share:.0%} of the image border is within {tolerance} of its typical colour "
            f"rgb{colour}; at least {MIN_BORDER_SHARE:.0%} must be a plain background to remove it"
        )
    subject = ImageChops.invert(_connected_to_border(candidates))
    rgba.putalpha(ImageChops.darker(_feather(subject, feather), alpha))
    return rgba


def _median_colour(rgb: Image.Image, mask: Image.Image) -> tuple[int, int, int] | None:
    """Per-channel median of the pixels under ``mask``; None when the mask is empty.

    The median ignores a subject that touches part of the border, where a mean would drift toward it.
    """
    histogram = rgb.histogram(mask)
    count = sum(histogram[:256])
    if count == 0:
        return None
    half = (count + 1) // 2
    median = []
    for band in range(3):
        total = 0
        for value, frequency in enumerate(histogram[band * 256 : band * 256 + 256]):
            total += frequency
            if total >= half:
                median.append(value)
                break
    return median[0], median[1], median[2]


def _near(rgb: Image.Image, colour: tuple[int, int, int], tolerance: int) -> Image.Image:
    """255 where every channel is within ``tolerance`` of ``colour``, else 0 (one LUT pass per band)."""
    lut = [255 if abs(value - target) <= tolerance else 0 for target in colour for value in range(256)]
    red, green, blue = rgb.point(lut).split()
    return ImageChops.darker(ImageChops.darker(red, green), blue)


def _connected_to_border(mask: Image.Image) -> Image.Image:
    """The part of a 0/255 mask 4-connected to the image border: a flood fill from every border pixel.

    It walks horizontal runs, not pixels: a regex finds every row's runs in C, and the fill only
    steps to overlapping runs in the rows above and below, so Python handles thousands of runs
    rather than the millions of pixels ImageDraw.floodfill would visit one by one.
    """
    width, height = mask.size
    stride = width + 1  # a 0 column on the right keeps runs from wrapping onto the next row
    padded = Image.new("L", (stride, height), 0)
    padded.paste(mask)
    starts: list[list[int]] = [[] for _ in range(height)]
    ends: list[list[int]] = [[] for _ in range(height)]
    for match in _RUN.finditer(padded.tobytes()):
        row, start = divmod(match.start(), stride)
        starts[row].append(start)
        ends[row].append(start + match.end() - match.start())
    pending = [(row, index) for row in (0, height - 1) for index in range(len(starts[row]))]
    pending += [(row, 0) for row in range(height) if starts[row] and starts[row][0] == 0]
    pending += [(row, len(ends[row]) - 1) for row in range(height) if ends[row] and ends[row][-1] == width]
    reached = [bytearray(len(row)) for row in starts]
    filled = bytearray(width * height)
    solid = b"\xff" * width
    while pending:
        row, index = pending.pop()
        if reached[row][index]:
            continue
        reached[row][index] = 1
        start, end = starts[row][index], ends[row][index]
        filled[row * width + start : row * width + end] = solid[: end - start]
        for other in (row - 1, row + 1):
            if not 0 <= other < height:
                continue
            # Runs in a row are sorted and disjoint: the first with an end past ``start`` may overlap.
            other_index = bisect_right(ends[other], start)
            while other_index < len(starts[other]) and starts[other][other_index] < end:
                if not reached[other][other_index]:
                    pending.append((other, other_index))
                other_index += 1
    return Image.frombytes("L", (width, height), bytes(filled))


def _feather(subject: Image.Image, radius: int) -> Image.Image:
    """Soften a 0/255 subject mask's outline without changing which pixels count as subject.

    A one-pass box blur gives a straight edge a linear ramp of ``radius`` pixels on each side and
    leaves every pixel further from the outline at exactly 0 or 255. Clamping subject pixels to >= 128
    and background to <= 127 keeps thin strokes and small gaps that the blur alone would wash out.
    """
    if radius == 0:
        return subject
    ramp = subject.filter(ImageFilter.BoxBlur(radius))
    floor = subject.point(lambda value: HALF_OPAQUE if value else 0)
    ceiling = subject.point(lambda value: 255 if value else HALF_OPAQUE - 1)
    return ImageChops.darker(ImageChops.lighter(ramp, floor), ceiling)
