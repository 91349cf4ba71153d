"""Clean background: generated scenes with a known subject mask, scored pixel by pixel."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

from galleria.imaging.background import (
    DEFAULT_FEATHER,
    DEFAULT_TOLERANCE,
    NoBackgroundFound,
    remove_background,
)

SIZE = (240, 180)
OFF_WHITE = (245, 245, 245)
RGB = tuple[int, int, int]
Shape = Callable[[ImageDraw.ImageDraw], None]


def noisy(size: tuple[int, int], colour: RGB, spread: int, seed: int) -> Image.Image:
    """``colour`` with independent uniform noise of +-``spread`` on every channel of every pixel."""
    raw = Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))
    lut = [min(255, max(0, c - spread + value * (2 * spread) // 255)) for c in colour for value in range(256)]
    return raw.point(lut)


def scene(background: Image.Image, shapes: list[tuple[Shape, RGB]]) -> tuple[Image.Image, Image.Image]:
    """``background`` with each shape painted in its noisy colour, and the subject mask (255 = subject).

    Shapes are pasted through a slightly blurred mask, so their outlines blend into the background
    like a real render's anti-aliasing; the known mask is the shape as drawn.
    """
    image = background.copy()
    subject = Image.new("L", image.size, 0)
    for seed, (draw, colour) in enumerate(shapes, start=100):
        mask = Image.new("L", image.size, 0)
        draw(ImageDraw.Draw(mask))
        image.paste(noisy(image.size, colour, 10, seed), mask=mask.filter(ImageFilter.GaussianBlur(0.8)))
        subject = ImageChops.lighter(subject, mask)
    return image, subject


def accuracy(result: Image.Image, subject: Image.Image, *, away_from_edge: int = 0) -> float:
    """Share of pixels where (alpha >= 128) agrees with the known subject mask.

    With ``away_from_edge``, only pixels further than that many pixels from the subject's outline count.
    """
    predicted = result.getchannel("A").point(lambda value: 255 if value >= 128 else 0)
    wrong = ImageChops.difference(predicted, subject)
    region = Image.new("L", subject.size, 255)
    if away_from_edge:
        window = 2 * away_from_edge + 1
        near_edge = ImageChops.difference(
            subject.filter(ImageFilter.MaxFilter(window)), subject.filter(ImageFilter.MinFilter(window))
        )
        region = ImageChops.invert(near_edge)
    counted = region.histogram()[255]
    errors = ImageChops.darker(wrong, region).histogram()[255]
    return 1 - errors / counted


def alpha_at(result: Image.Image, xy: tuple[int, int]) -> int:
    alpha = result.getchannel("A").getpixel(xy)
    assert isinstance(alpha, int)  # one band: a number, not a tuple
    return alpha


def circle(box: tuple[int, int, int, int]) -> Shape:
    return lambda draw: draw.ellipse(box, fill=255)


def polygon(points: list[tuple[int, int]]) -> Shape:
    return lambda draw: draw.polygon(points, fill=255)


def strokes(draw: ImageDraw.ImageDraw) -> None:
    """Letter-like strokes 2 to 4 px wide, including diagonals."""
    draw.line([(30, 130), (40, 165), (50, 130)], fill=255, width=3)  # V
    draw.line([(60, 130), (60, 165), (80, 165)], fill=255, width=2)  # L
    draw.line([(90, 130), (110, 165)], fill=255, width=4)  # \
    draw.line([(110, 130), (90, 165)], fill=255, width=4)  # /


def shapes_on_white() -> tuple[Image.Image, Image.Image]:
    return scene(
        noisy(SIZE, OFF_WHITE, 10, seed=1),
        [
            (circle((20, 15, 110, 105)), (200, 40, 40)),
            (polygon([(130, 20), (220, 40), (200, 120), (140, 100)]), (30, 90, 200)),
            (strokes, (20, 20, 20)),
        ],
    )


def test_shapes_on_a_noisy_white_background_are_separated() -> None:
    image, subject = shapes_on_white()

    result = remove_background(image)

    assert accuracy(result, subject) >= 0.95
    assert accuracy(result, subject, away_from_edge=3) >= 0.99
    assert alpha_at(result, (5, 5)) == 0
    assert alpha_at(result, (65, 60)) == 255  # middle of the circle


def test_the_result_is_an_rgba_image_of_the_same_size_and_the_input_is_untouched() -> None:
    image, _ = shapes_on_white()
    before = image.tobytes()

    result = remove_background(image)

    assert result.mode == "RGBA"
    assert result.size == image.size
    assert image.mode == "RGB"
    assert image.tobytes() == before
    assert result.convert("RGB").tobytes() == before  # only alpha changes


def test_a_gradient_background_within_tolerance_is_removed() -> None:
    gradient = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(SIZE)
    lut = [round(228 + value * 26 / 255) for value in range(256)]  # 228..254 from one side to the other
    background = ImageChops.multiply(
        Image.merge("RGB", [gradient.point(lut)] * 3), noisy(SIZE, (250, 250, 250), 5, seed=2)
    )
    image, subject = scene(
        background,
        [
            (circle((60, 40, 180, 160)), (90, 60, 30)),
            (polygon([(10, 170), (60, 120), (110, 170)]), (40, 140, 60)),
        ],
    )

    result = remove_background(image)

    assert accuracy(result, subject) >= 0.95
    assert accuracy(result, subject, away_from_edge=3) >= 0.99
    assert alpha_at(result, (2, 2)) == alpha_at(result, (237, 2)) == 0  # both ends of the gradient


def test_background_colour_enclosed_by_the_subject_stays_opaque() -> None:
    def ring(draw: ImageDraw.ImageDraw) -> None:
        draw.ellipse((50, 20, 190, 160), outline=255, width=14)

    image, ring_mask = scene(noisy(SIZE, OFF_WHITE, 10, seed=3), [(ring, (120, 30, 160))])
    disc = Image.new("L", SIZE, 0)
    ImageDraw.Draw(disc).ellipse((50, 20, 190, 160), fill=255)

    result = remove_background(image)

    assert alpha_at(result, (120, 90)) == 255  # the hole: background-coloured but enclosed
    assert alpha_at(result, (10, 90)) == 0
    assert accuracy(result, disc) >= 0.99
    assert accuracy(result, ring_mask) < 0.8  # i.e. the hole really is counted as subject


def test_background_reaching_inside_through_a_gap_is_removed() -> None:
    def broken_ring(draw: ImageDraw.ImageDraw) -> None:
        draw.ellipse((50, 20, 190, 160), outline=255, width=14)
        draw.rectangle((170, 85, 190, 95), fill=0)  # a 10 px gap in the right side

    image, subject = scene(noisy(SIZE, OFF_WHITE, 10, seed=4), [(broken_ring, (120, 30, 160))])

    result = remove_background(image)

    assert alpha_at(result, (120, 90)) == 0
    assert accuracy(result, subject, away_from_edge=3) >= 0.99


def test_a_subject_touching_the_border_stays_opaque_up_to_the_edge() -> None:
    person = polygon([(80, 179), (90, 60), (150, 60), (160, 179)])
    head = circle((95, 10, 145, 60))
    image, subject = scene(
        noisy(SIZE, OFF_WHITE, 10, seed=5), [(person, (60, 40, 30)), (head, (230, 180, 150))]
    )

    result = remove_background(image)

    assert accuracy(result, subject) >= 0.95
    assert accuracy(result, subject, away_from_edge=3) >= 0.99
    assert alpha_at(result, (120, 179)) == 255  # bottom row, inside the subject
    assert alpha_at(result, (10, 179)) == 0


def test_the_outline_is_feathered_and_the_rest_is_exactly_opaque_or_clear() -> None:
    image = noisy(SIZE, OFF_WHITE, 10, seed=6)
    image.paste((30, 30, 30), (100, 40, 200, 140))  # straight vertical edge at x = 100

    row = [alpha_at(remove_background(image), (x, 90)) for x in range(90, 111)]

    ramp = row[10 - DEFAULT_FEATHER : 10 + DEFAULT_FEATHER]  # x = 98..101, either side of the edge
    assert ramp == sorted(ramp)
    assert all(0 < value < 255 for value in ramp)
    assert ramp[DEFAULT_FEATHER] >= 128 > ramp[DEFAULT_FEATHER - 1]  # x = 100 is the first subject pixel
    assert set(row[: 10 - DEFAULT_FEATHER]) == {0}
    assert set(row[10 + DEFAULT_FEATHER :]) == {255}


def test_without_feather_the_alpha_is_binary() -> None:
    image, subject = shapes_on_white()

    result = remove_background(image, feather=0)

    histogram = result.getchannel("A").histogram()
    assert histogram[0] + histogram[255] == SIZE[0] * SIZE[1]
    assert accuracy(result, subject, away_from_edge=3) >= 0.99


def test_a_wider_feather_gives_a_wider_ramp() -> None:
    image, _ = shapes_on_white()

    def partial(feather: int) -> int:
        histogram = remove_background(image, feather=feather).getchannel("A").histogram()
        return sum(histogram[1:255])

    assert 0 < partial(1) < partial(2) < partial(4)


def test_feathering_keeps_hairlines() -> None:
    image = noisy(SIZE, OFF_WHITE, 10, seed=7)
    ImageDraw.Draw(image).line([(20, 90), (220, 90)], fill=(0, 0, 0), width=1)

    result = remove_background(image, feather=3)

    assert min(alpha_at(result, (x, 90)) for x in range(20, 221)) >= 128
    assert alpha_at(result, (120, 89)) < 128
    assert alpha_at(result, (120, 91)) < 128


def test_a_photo_like_image_is_refused() -> None:
    photo = Image.frombytes("RGB", SIZE, random.Random(8).randbytes(SIZE[0] * SIZE[1] * 3))

    with pytest.raises(NoBackgroundFound, match="of the image border is within 32"):
        remove_background(photo)


def test_a_border_split_between_two_colours_is_refused() -> None:
    image = Image.new("RGB", SIZE, (255, 255, 255))
    image.paste((0, 0, 0), (0, 0, 120, 180))

    with pytest.raises(NoBackgroundFound):
        remove_background(image)


def test_tolerance_decides_what_counts_as_background() -> None:
    background = noisy(SIZE, (200, 200, 200), 3, seed=9)
    patch = polygon([(60, 40), (180, 40), (180, 140), (60, 140)])
    image, _ = scene(background, [(patch, (225, 225, 225))])  # 25 +- 13 away from the background

    wide = remove_background(image, tolerance=40)
    narrow = remove_background(image, tolerance=8)

    assert alpha_at(wide, (120, 90)) == 0  # within tolerance: removed as background
    assert alpha_at(narrow, (120, 90)) == 255  # beyond it: kept as subject
    assert alpha_at(narrow, (10, 10)) == 0


def test_a_tolerance_below_the_background_noise_finds_no_background() -> None:
    image, _ = shapes_on_white()  # background noise is +-10 per channel

    remove_background(image, tolerance=DEFAULT_TOLERANCE)
    with pytest.raises(NoBackgroundFound, match="within 4 of"):
        remove_background(image, tolerance=4)


def test_already_transparent_pixels_count_as_background_whatever_their_colour() -> None:
    image, subject = shapes_on_white()
    rgba = image.convert("RGBA")
    frame = Image.new("L", SIZE, 255)
    frame.paste(0, (6, 6, 240, 174))  # transparent black along the top, left and bottom edges
    rgba.paste((0, 0, 0, 0), mask=frame)

    result = remove_background(rgba)  # opaque white alone is only ~20% of the border

    assert alpha_at(result, (3, 90)) == 0
    assert accuracy(result, subject, away_from_edge=3) >= 0.99


def walled_room(passage: list[tuple[int, int]], *, mirrored: bool) -> Image.Image:
    """White 40x40 with a black square whose 5 px right wall is opened at the ``passage`` pixels.

    Mirrored, the wall is on the left, so the fill meets the passage from the other end of a run.
    """
    image = Image.new("L", (40, 40), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 31, 31), fill=0)
    draw.rectangle((13, 13, 26, 26), fill=255)  # the room: x and y 13..26; the right wall is x 27..31
    for xy in passage:
        image.putpixel(xy, 255)
    return ImageOps.mirror(image) if mirrored else image


def at(result: Image.Image, xy: tuple[int, int], *, mirrored: bool) -> int:
    return alpha_at(result, (39 - xy[0], xy[1]) if mirrored else xy)


@pytest.mark.parametrize("mirrored", [False, True])
def test_background_flows_through_a_passage_one_pixel_wide(mirrored: bool) -> None:
    # Row 20 opens x 27..28, row 21 x 28..31: the two rows share only column 28.
    room = walled_room([(27, 20), (28, 20), (28, 21), (29, 21), (30, 21), (31, 21)], mirrored=mirrored)

    result = remove_background(room, feather=0)

    assert at(result, (20, 20), mirrored=mirrored) == 0
    assert at(result, (27, 21), mirrored=mirrored) == 255  # the wall beside the passage


@pytest.mark.parametrize("mirrored", [False, True])
def test_background_does_not_flow_through_a_diagonal_gap(mirrored: bool) -> None:
    # Row 20 opens x 27, row 21 x 28..31: they touch only at a corner, which does not connect.
    room = walled_room([(27, 20), (28, 21), (29, 21), (30, 21), (31, 21)], mirrored=mirrored)

    result = remove_background(room, feather=0)

    assert at(result, (20, 20), mirrored=mirrored) == 255
    assert at(result, (29, 21), mirrored=mirrored) == 0


def test_an_image_cut_out_before_keeps_its_subject() -> None:
    rgba = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    rgba.paste((250, 250, 250, 200), (60, 40, 180, 140))  # white, translucent subject

    result = remove_background(rgba)

    assert alpha_at(result, (120, 90)) == 200  # never more opaque than it was
    assert alpha_at(result, (10, 10)) == 0


@pytest.mark.parametrize(
    "turn",
    [None, Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270],
    ids=["right", "left", "top", "bottom"],
)
def test_background_reaching_only_one_edge_of_the_image_is_removed(turn: Image.Transpose | None) -> None:
    def bracket(draw: ImageDraw.ImageDraw) -> None:  # a "]" whose arms run off the top and bottom
        draw.rectangle((150, 0, 239, 9), fill=255)
        draw.rectangle((150, 0, 160, 179), fill=255)
        draw.rectangle((150, 170, 239, 179), fill=255)

    image, subject = scene(noisy(SIZE, OFF_WHITE, 10, seed=10), [(bracket, (40, 40, 160))])
    if turn is not None:  # the pocket inside the bracket opens onto the edge named in the test id
        image, subject = image.transpose(turn), subject.transpose(turn)

    result = remove_background(image)

    assert accuracy(result, subject, away_from_edge=3) >= 0.99  # the pocket is ~30% of the image


@pytest.mark.parametrize("mode", ["P", "L", "LA", "RGBA", "I;16"])
def test_other_modes_are_accepted(mode: str) -> None:
    image, subject = shapes_on_white()
    grey = image.convert("L")
    converted = {
        "P": image.convert("P", palette=Image.Palette.ADAPTIVE, colors=64),
        "L": grey,
        "LA": grey.convert("LA"),
        "RGBA": image.convert("RGBA"),
        "I;16": grey.convert("I").point(lambda value: value * 257).convert("I;16"),
    }[mode]
    assert converted.mode == mode

    result = remove_background(converted)

    assert result.mode == "RGBA"
    assert result.size == SIZE
    assert accuracy(result, subject) >= 0.95


@pytest.mark.parametrize(
    ("options", "message"),
    [({"tolerance": -1}, "tolerance"), ({"tolerance": 256}, "tolerance"), ({"feather": -1}, "feather")],
)
def test_bad_options_are_rejected(options: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        remove_background(shapes_on_white()[0], **options)
