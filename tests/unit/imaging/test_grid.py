"""Grid split: pixel-exact cells in reading order that tile the image exactly once."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from galleria.imaging.grid import MAX_CELLS_PER_SIDE, grid_boxes, split_grid


def noise(size: tuple[int, int], mode: str = "RGB", seed: int = 7) -> Image.Image:
    """Every pixel different enough that a crop off by one pixel cannot compare equal."""
    bands = len(mode)
    return Image.frombytes(mode, size, random.Random(seed).randbytes(size[0] * size[1] * bands))


@pytest.mark.parametrize(
    ("width", "height", "rows", "cols"),
    [(1024, 1024, 2, 2), (1025, 769, 3, 4), (1025, 769, 4, 3), (7, 5, 4, 4), (4, 4, 4, 4), (1000, 3, 3, 1)],
)
def test_boxes_cover_every_pixel_exactly_once(width: int, height: int, rows: int, cols: int) -> None:
    boxes = grid_boxes(width, height, rows, cols)

    assert len(boxes) == rows * cols
    coverage = Image.new("L", (width, height), 0)  # how many boxes hold each pixel
    for box in boxes:
        left, top, right, bottom = box
        assert 0 <= left < right <= width
        assert 0 <= top < bottom <= height
        coverage.paste(coverage.crop(box).point(lambda count: count + 1), box)
    histogram = coverage.histogram()
    assert histogram[1] == width * height


@pytest.mark.parametrize(
    ("width", "height", "rows", "cols"), [(1025, 769, 3, 4), (1023, 1021, 4, 4), (10, 9, 4, 3)]
)
def test_uneven_sizes_differ_by_at_most_one_pixel(width: int, height: int, rows: int, cols: int) -> None:
    boxes = grid_boxes(width, height, rows, cols)

    widths = {right - left for left, _, right, _ in boxes}
    heights = {bottom - top for _, top, _, bottom in boxes}
    assert widths <= {width // cols, width // cols + 1}
    assert heights <= {height // rows, height // rows + 1}


def test_boxes_for_1025_by_769_in_3_rows_and_4_columns() -> None:
    boxes = grid_boxes(1025, 769, 3, 4)

    assert boxes[:5] == [
        (0, 0, 256, 256),
        (256, 0, 512, 256),
        (512, 0, 768, 256),
        (768, 0, 1025, 256),
        (0, 256, 256, 512),
    ]
    assert boxes[-1] == (768, 512, 1025, 769)


def test_cells_are_in_reading_order() -> None:
    boxes = grid_boxes(400, 300, 3, 4)

    assert [(left, top) for left, top, _, _ in boxes] == [
        (x, y) for y in (0, 100, 200) for x in (0, 100, 200, 300)
    ]


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_cells_are_byte_identical_to_crops_of_the_expected_boxes(mode: str) -> None:
    image = noise((1025, 769), mode)

    cells = split_grid(image, 3, 4)

    expected = grid_boxes(1025, 769, 3, 4)
    assert len(cells) == len(expected)
    for cell, box in zip(cells, expected, strict=True):
        assert cell.mode == mode
        assert cell.size == (box[2] - box[0], box[3] - box[1])
        assert cell.tobytes() == image.crop(box).tobytes()


def test_cells_reassemble_into_the_original() -> None:
    image = noise((301, 202))
    boxes = grid_boxes(301, 202, 4, 3)

    canvas = Image.new("RGB", image.size, (1, 2, 3))
    for cell, box in zip(split_grid(image, 4, 3), boxes, strict=True):
        canvas.paste(cell, box[:2])

    assert canvas.tobytes() == image.tobytes()


def test_one_by_one_is_the_whole_image() -> None:
    image = noise((33, 17))

    (cell,) = split_grid(image, 1, 1)

    assert grid_boxes(33, 17, 1, 1) == [(0, 0, 33, 17)]
    assert cell.size == image.size
    assert cell.tobytes() == image.tobytes()


@pytest.mark.parametrize(
    ("rows", "cols"), [(0, 2), (2, 0), (MAX_CELLS_PER_SIDE + 1, 1), (1, MAX_CELLS_PER_SIDE + 1), (-1, 2)]
)
def test_counts_outside_one_to_four_are_rejected(rows: int, cols: int) -> None:
    with pytest.raises(ValueError, match=r"must be 1\.\.4"):
        grid_boxes(100, 100, rows, cols)
    with pytest.raises(ValueError, match=r"must be 1\.\.4"):
        split_grid(noise((100, 100)), rows, cols)


@pytest.mark.parametrize(
    ("size", "rows", "cols", "message"),
    [
        ((3, 100), 2, 4, "3 px wide, too small for 4 cols"),
        ((100, 2), 3, 1, "2 px tall, too small for 3 rows"),
    ],
)
def test_an_image_smaller_than_the_grid_is_rejected(
    size: tuple[int, int], rows: int, cols: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        split_grid(noise(size), rows, cols)
