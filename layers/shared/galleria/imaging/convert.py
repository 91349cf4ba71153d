"""Re-encoding stored images as PNG, JPEG or WebP, and reading an image's header."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image, PngImagePlugin

from galleria.imaging.decode import (
    STORED_FORMATS,
    STORED_MAX_BYTES,
    STORED_MAX_PIXELS,
    image_format,
    open_image,
    open_lazily,
)
from galleria.imaging.formats import MIME_BY_FORMAT
from galleria.imaging.modes import flatten, to_8bit, to_rgb_or_rgba
from galleria.imaging.png import can_write, write_png

OutputFormat = Literal["png", "jpeg", "webp"]

# zlib level for the PNGs Pillow still writes (palette, 1-bit and 16-bit images, colour-key
# transparency; the rest go through galleria.imaging.png), measured on four 1024x1024 renders
# (mean ms / KB): 1: 27/491, 3: 36/453, 6 (default): 94/409, 9: 391/390. Level 3 is ~2.6x faster than
# the default for ~10% more.
PNG_COMPRESS_LEVEL = 3
JPEG_QUALITY = 92
WEBP_QUALITY = 90
# libwebp method at quality 90 on the same images (ms / KB): 1: 22/66, 4 (default): 52/61, 6: 94/57.
WEBP_METHOD = 1
_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})
_XMP_PNG_KEY = "XML:com.adobe.xmp"
_ORIENTATION_TAG = 0x0112
_SWAPS_AXES = frozenset({5, 6, 7, 8})  # EXIF orientations that rotate by 90 degrees


@dataclass(frozen=True, slots=True)
class ImageInfo:
    width: int
    height: int
    mime_type: str
    format: str


@dataclass(frozen=True, slots=True)
class _Metadata:
    icc_profile: bytes | None
    exif: bytes | None
    xmp: bytes | None
    png_text: tuple[tuple[str, str], ...]
    comment: bytes | None


def convert_image(
    data: bytes,
    fmt: OutputFormat,
    *,
    strip_metadata: bool = False,
    max_bytes: int = STORED_MAX_BYTES,
    max_pixels: int = STORED_MAX_PIXELS,
) -> tuple[bytes, str]:
    """Re-encode ``data`` as ``fmt``; returns (bytes, mime type).

    EXIF orientation is applied to the pixels (and the tag dropped), so every viewer shows the same
    thing. Metadata travels where the target format has room for it: ICC, EXIF and XMP in all
    three, PNG text chunks only to PNG, JPEG comments only to JPEG. ``strip_metadata`` keeps only
    the ICC profile, which is needed to show colours correctly and says nothing about the user.
    The default limits suit our own stored originals; pass the user limits for uploaded bytes. An
    animated original (an uploaded GIF) converts as its first frame.
    """
    image = open_image(
        data, max_bytes=max_bytes, max_pixels=max_pixels, allowed_formats=STORED_FORMATS, allow_animated=True
    )
    metadata = _read_metadata(image, strip=strip_metadata)
    buffer = io.BytesIO()
    if fmt == "png":
        _save_png(image, metadata, buffer)
    elif fmt == "jpeg":
        _save_jpeg(image, metadata, buffer)
    elif fmt == "webp":
        _save_webp(image, metadata, buffer)
    else:
        raise ValueError(f"unsupported output format {fmt!r}")
    return buffer.getvalue(), MIME_BY_FORMAT[fmt.upper()]


def png_within(data: bytes, max_bytes: int) -> bytes:
    """A stored original as a PNG of at most ``max_bytes`` (what edit APIs take): converted from
    JPEG/WebP/GIF, and scaled down (aspect kept) until it fits. Metadata is dropped."""
    image = open_image(
        data,
        max_bytes=STORED_MAX_BYTES,
        max_pixels=STORED_MAX_PIXELS,
        allowed_formats=STORED_FORMATS,
        allow_animated=True,
    )
    out = image if image.mode in _PNG_MODES else to_rgb_or_rgba(to_8bit(image))
    while True:
        buffer = io.BytesIO()
        if can_write(out):
            write_png(out, buffer)
        else:
            out.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
        if buffer.tell() <= max_bytes or min(out.size) <= 64:
            return buffer.getvalue()
        # PNG size grows with the pixel count: shrink by the square root of the excess, plus a margin.
        scale = (max_bytes / buffer.tell()) ** 0.5 * 0.9
        size = (max(1, round(out.width * scale)), max(1, round(out.height * scale)))
        out = out.resize(size, Image.Resampling.LANCZOS)


def image_info(data: bytes) -> ImageInfo:
    """Dimensions (as displayed, i.e. after EXIF rotation) and format, from the header only."""
    with open_lazily(data) as image:
        width, height = image.size
        if _orientation(image) in _SWAPS_AXES:
            width, height = height, width
        fmt = image_format(image)
    return ImageInfo(width=width, height=height, mime_type=MIME_BY_FORMAT[fmt], format=fmt)


def _save_png(image: Image.Image, metadata: _Metadata, buffer: io.BytesIO) -> None:
    out = image if image.mode in _PNG_MODES else to_rgb_or_rgba(to_8bit(image))
    pnginfo = PngImagePlugin.PngInfo()
    for key, value in metadata.png_text:
        pnginfo.add_text(key, value)
    if metadata.xmp:
        pnginfo.add_itxt(_XMP_PNG_KEY, metadata.xmp.decode("utf-8", "replace"))
    if can_write(out):
        chunks = [(kind, data) for kind, data, *_ in pnginfo.chunks]
        write_png(out, buffer, icc_profile=metadata.icc_profile, exif=metadata.exif, chunks=chunks)
        return
    options: dict[str, Any] = {"pnginfo": pnginfo, "compress_level": PNG_COMPRESS_LEVEL}
    if "transparency" in image.info and out.mode == image.mode:
        options["transparency"] = image.info["transparency"]
    _save(out, buffer, "PNG", metadata, options, xmp=False)


def _save_jpeg(image: Image.Image, metadata: _Metadata, buffer: io.BytesIO) -> None:
    out = to_8bit(image) if image.mode in ("L", "I;16", "I") else flatten(image)
    options: dict[str, Any] = {"quality": JPEG_QUALITY, "comment": metadata.comment or b""}
    _save(out, buffer, "JPEG", metadata, options)


def _save_webp(image: Image.Image, metadata: _Metadata, buffer: io.BytesIO) -> None:
    options: dict[str, Any] = {"quality": WEBP_QUALITY, "method": WEBP_METHOD}
    _save(to_rgb_or_rgba(image), buffer, "WEBP", metadata, options)


def _save(
    image: Image.Image,
    buffer: io.BytesIO,
    fmt: str,
    metadata: _Metadata,
    options: dict[str, Any],
    *,
    xmp: bool = True,
) -> None:
    # Every metadata field is passed explicitly: some encoders otherwise copy it from image.info.
    options["icc_profile"] = metadata.icc_profile or b""
    options["exif"] = metadata.exif or b""
    if xmp:
        options["xmp"] = metadata.xmp or b""
    image.save(buffer, fmt, **options)


def _read_metadata(image: Image.Image, *, strip: bool) -> _Metadata:
    info = image.info
    icc_profile = info.get("icc_profile") or None
    if strip:
        return _Metadata(icc_profile=icc_profile, exif=None, xmp=None, png_text=(), comment=None)
    xmp = info.get("xmp")
    comment = info.get("comment")
    text = getattr(image, "text", {})  # PNG only
    return _Metadata(
        icc_profile=icc_profile,
        exif=info.get("exif") or None,
        xmp=xmp.encode() if isinstance(xmp, str) else xmp or None,
        png_text=tuple((key, value) for key, value in text.items() if key != _XMP_PNG_KEY),
        comment=comment.encode() if isinstance(comment, str) else comment or None,
    )


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation if the header carries EXIF (a PNG's eXIf after the pixels is not read)."""
    raw = image.info.get("exif")
    if not raw:
        return 1
    exif = Image.Exif()
    try:
        exif.load(raw)
        return int(exif.get(_ORIENTATION_TAG, 1))
    except (ValueError, SyntaxError, TypeError, KeyError, IndexError, OSError):
        return 1
