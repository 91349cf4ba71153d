"""Derived images: made from the source image by our own code, not by a model, so they cost no
credits and are reproducible. They run through the generation worker like any provider (one
image per call), so a derived job has the same delivery guarantees as a generation."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from galleria.errors import InvalidImage
from galleria.providers.base import ImageProvider, ProviderError, ProviderImage, ProviderRequest

if TYPE_CHECKING:  # Pillow loads only when a derived image is made
    from PIL import Image

CLEAN_BACKGROUND = "clean-background"
SPLIT = "split"
PROVIDER = "galleria"
# Recorded as the item's model: what made it, as a model id would say.
MODELS = {CLEAN_BACKGROUND: "galleria/clean-background", SPLIT: "galleria/split"}
_VERSION = "1"


class DerivationFailed(ProviderError):
    """The source cannot give this derived image (e.g. it has no plain background): for good."""

    code = "invalid_image"

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def _source(request: ProviderRequest) -> Image.Image:
    from galleria.imaging.decode import STORED_FORMATS, STORED_MAX_BYTES, STORED_MAX_PIXELS, open_image

    if request.source_image is None:
        raise DerivationFailed("The source image is missing")
    try:
        return open_image(
            request.source_image,
            max_bytes=STORED_MAX_BYTES,
            max_pixels=STORED_MAX_PIXELS,
            allowed_formats=STORED_FORMATS,
            allow_animated=True,
        )
    except InvalidImage as exc:
        raise DerivationFailed(exc.message) from exc


def _png(image: Image.Image, operation: str) -> ProviderImage:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=3)
    return ProviderImage(
        data=buffer.getvalue(),
        mime_type="image/png",
        provider=PROVIDER,
        model_version=f"{operation}-{_VERSION}",
        reproducible=True,
    )


class CleanBackground:
    """A transparent PNG of the subject: the plain background connected to the border removed
    (galleria.imaging.background)."""

    def generate(self, request: ProviderRequest) -> ProviderImage:
        from galleria.imaging.background import NoBackgroundFound, remove_background

        try:
            cleaned = remove_background(_source(request))
        except NoBackgroundFound as exc:
            raise DerivationFailed(str(exc)) from exc
        return _png(cleaned, CLEAN_BACKGROUND)


class GridSplit:
    """Cell ``request.index`` of a rows × cols grid, cut pixel-exact (reading order), as PNG."""

    def __init__(self, rows: int, cols: int) -> None:
        self.rows = rows
        self.cols = cols

    def generate(self, request: ProviderRequest) -> ProviderImage:
        from galleria.imaging.grid import grid_boxes

        image = _source(request)
        try:
            box = grid_boxes(image.width, image.height, self.rows, self.cols)[request.index]
        except ValueError as exc:
            raise DerivationFailed(str(exc)) from exc
        return _png(image.crop(box), SPLIT)


def derived_provider(operation: str, rows: int | None = None, cols: int | None = None) -> ImageProvider:
    if operation == CLEAN_BACKGROUND:
        return CleanBackground()
    if operation == SPLIT and rows and cols:
        return GridSplit(rows, cols)
    raise ValueError(f"unknown derivation {operation!r}")
