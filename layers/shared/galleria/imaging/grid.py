"""Splitting an image into a rows x cols grid of pixel-exact cells (e.g. a 2x2 sheet of variations)."""

from __future__ import annotations

from PIL import Image

MAX_CELLS_PER_SIDE = 4

Box = tuple[int, int, int, int]


def grid_boxes(width: int, height: int, rows: int, cols: int) -> list[Box]:
    """(left, top, right, bottom) of each cell in reading order: left to right, then top to bottom.

    Column ``i`` spans x from ``i * width // cols`` to ``(i + 1) * width // cols`` (rows likewise), so
    when the size does not divide evenly the extra pixels are spread across the cells: sizes differ
    by at most 1 px and the cells cover every pixel exactly once.
    """
    _check_count("rows", rows, height, "tall")
    _check_count("cols", cols, width, "wide")
    xs = [index * width // cols for index in range(cols + 1)]
    ys = [index * height // rows for index in range(rows + 1)]
    return [(xs[col], ys[row], xs[col + 1], ys[row + 1]) for row in range(rows) for col in range(cols)]


def split_grid(image: Image.Image, rows: int, cols: int) -> list[Image.Image]:
    """The cells of ``image`` as separate images, in the order of grid_boxes."""
    return [image.crop(box) for box in grid_boxes(image.width, image.height, rows, cols)]


def _check_count(name: str, count: int, pixels: int, extent: str) -> None:
    if not 1 <= count <= MAX_CELLS_PER_SIDE:
        raise ValueError(f"{name} must be 1..{MAX_CELLS_PER_SIDE}, got {count}")
    if pixels < count:
        raise ValueError(f"the image is {pixels} px {extent}, too small for {count} {name}")
