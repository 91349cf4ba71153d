"""What an uploaded file really is, judged by its bytes: never by its name or declared type.

Cheap checks come first: byte size, then magic bytes, then headers (image dimensions, video
containers), and only then pixels, so a decompression bomb is refused before anything is allocated.
Pillow is imported inside the image functions: API functions importing this module must not pay
for it at cold start.
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from galleria.errors import InvalidImage
from galleria.imaging.formats import MIME_BY_FORMAT, human_list, sniff_format

IMAGE_MIME_BY_FORMAT: dict[str, str] = {**MIME_BY_FORMAT, "GIF": "image/gif"}
IMAGE_FORMATS: frozenset[str] = frozenset(IMAGE_MIME_BY_FORMAT)
ACCEPTED = f"upload a {human_list(IMAGE_FORMATS)} image or an MP4 or WebM video"
# Checking every frame of an animation costs frames x canvas pixels; a tiny file can hold thousands
# of full-canvas frames, so the work is capped at this many times the single-image pixel limit.
ANIMATION_PIXEL_FACTOR = 10

# ISO BMFF brands of MP4 video (major or compatible). AVIF/HEIC share the container and are named
# by sniff_format before this list is consulted.
MP4_BRANDS = frozenset(
    {
        b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"mp71",
        b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"MSNV",
    }
)  # fmt: skip
# Where width and height start in a tkhd payload, by version: after version/flags, times, track id,
# duration (some 64-bit in version 1), layer, volume and the 36-byte matrix.
_TKHD_SIZE_OFFSET = {0: 76, 1: 88}

EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE = 0x4282
_SEGMENT = 0x18538067
_TRACKS = 0x1654AE6B
_TRACK_ENTRY = 0xAE
_VIDEO = 0xE0
_PIXEL_WIDTH = 0xB0
_PIXEL_HEIGHT = 0xBA
_CLUSTER = 0x1F43B675


@dataclass(frozen=True)
class MediaInfo:
    """What an upload is, established from its bytes."""

    kind: Literal["image", "video"]
    mime_type: str  # image/png, image/jpeg, image/webp, image/gif, video/mp4, video/webm
    width: int | None  # None only for videos whose dimensions cannot be read from the header
    height: int | None
    animated: bool = False  # an image with more than one frame (GIF, WEBP, APNG)


def inspect_media(data: bytes, *, max_bytes: int, max_pixels: int) -> MediaInfo:
    """Identify an upload from its content, or raise InvalidImage saying why it is refused.

    Images are fully decoded (every frame of an animation) so a truncated or corrupt file is caught
    here; videos are checked at the container level only (MP4 boxes, WebM's EBML header), their
    dimensions read from the track headers when present. Pixel counts above ``max_pixels`` are
    refused for both, from the header, before any decoding.
    """
    _check_byte_size(len(data), max_bytes)
    fmt = sniff_format(data)
    if fmt in IMAGE_FORMATS:
        return _inspect_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    if fmt is None and data[4:8] == b"ftyp":
        return _video("video/mp4", _mp4_dimensions(data), max_pixels)
    if data.startswith(EBML_MAGIC):
        return _video("video/webm", _webm_dimensions(data), max_pixels)
    if fmt is not None:
        raise InvalidImage(f"Unsupported file type '{fmt}'; {ACCEPTED}")
    raise InvalidImage(f"The file is not a recognised image or video; {ACCEPTED}")


def _check_byte_size(size: int, max_bytes: int) -> None:
    if size == 0:
        raise InvalidImage("The file is empty")
    if size > max_bytes:
        raise InvalidImage(f"The file is {size:,} bytes; the limit is {max_bytes:,} bytes")


# Images


def _inspect_image(data: bytes, *, max_bytes: int, max_pixels: int) -> MediaInfo:
    from galleria.imaging import decode

    # open_image checks the header's pixel count before it decodes the first frame, and reports
    # the upright (EXIF-rotated) size users see.
    image = decode.open_image(
        data, max_bytes=max_bytes, max_pixels=max_pixels, allowed_formats=IMAGE_FORMATS, allow_animated=True
    )
    with image, _pillow_errors_as_invalid(max_pixels):
        fmt = decode.image_format(image)
        # A JPEG with extra pictures (MPO, from phone cameras) is not an animation.
        animated = fmt != "JPEG" and bool(getattr(image, "is_animated", False))
        info = MediaInfo("image", IMAGE_MIME_BY_FORMAT[fmt], image.width, image.height, animated=animated)
    if animated:
        _decode_every_frame(data, max_pixels)
    return info


def _decode_every_frame(data: bytes, max_pixels: int) -> None:
    """Decode each frame: a later frame can be truncated or corrupt while the first one is fine."""
    from PIL import ImageSequence

    from galleria.imaging import decode

    budget = max_pixels * ANIMATION_PIXEL_FACTOR
    lazy = decode.open_lazily(data, allowed_formats=IMAGE_FORMATS, max_pixels=max_pixels)
    with lazy as image, _pillow_errors_as_invalid(max_pixels):
        for count, frame in enumerate(ImageSequence.Iterator(image), start=1):
            decode.check_pixels(frame.size, max_pixels)  # a GIF frame may grow the canvas
            budget -= frame.width * frame.height
            if budget < 0:
                raise InvalidImage(
                    f"The animation is too long to check: more than {count - 1} frames of "
                    f"{frame.width}x{frame.height}; upload a shorter or smaller animation"
                )
            frame.load()


@contextmanager
def _pillow_errors_as_invalid(max_pixels: int) -> Iterator[None]:
    """Map Pillow's errors on damaged data, and its decompression-bomb guard, to InvalidImage."""
    from PIL import Image

    from galleria.imaging import decode

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise InvalidImage(decode.bomb_message(str(exc), max_pixels)) from exc
        except decode.DECODE_ERRORS as exc:
            raise InvalidImage(decode.CORRUPT) from exc


# Videos


def _video(mime_type: str, dimensions: tuple[int, int] | None, max_pixels: int) -> MediaInfo:
    if dimensions is None:
        return MediaInfo("video", mime_type, None, None)
    width, height = dimensions
    if width * height > max_pixels:
        raise InvalidImage(
            f"The video is {width}x{height} ({width * height / 1e6:.1f} megapixels); "
            f"the limit is {max_pixels / 1e6:g} megapixels"
        )
    return MediaInfo("video", mime_type, width, height)


def _dimensions(width: int, height: int) -> tuple[int, int] | None:
    return (width, height) if width > 0 and height > 0 else None


def _mp4_dimensions(data: bytes) -> tuple[int, int] | None:
    """Check the ftyp brand and every top-level box size; the first video track's size if any."""
    top = _boxes(data, 0, len(data))
    _, start, end = next(top)  # the ftyp box: the caller saw its type at offset 4
    _check_mp4_brands(data[start:end])
    rest = list(top)  # walks every top-level box: one running past the end means a truncated upload
    moov = next(((s, e) for kind, s, e in rest if kind == b"moov"), None)
    return _mp4_video_track_size(data, *moov) if moov else None


def _check_mp4_brands(ftyp: bytes) -> None:
    if len(ftyp) < 8 or len(ftyp) % 4:
        raise _malformed_mp4(f"its ftyp box has an invalid size ({len(ftyp) + 8} bytes)")
    brands = {ftyp[i : i + 4] for i in range(0, len(ftyp), 4) if i != 4}  # [4:8] is the minor version
    if not brands & MP4_BRANDS:
        brand = ftyp[:4].decode("ascii", "backslashreplace")
        raise InvalidImage(f"The file is an ISO media file of brand '{brand}', not an MP4 video; {ACCEPTED}")


def _mp4_video_track_size(data: bytes, moov_start: int, moov_end: int) -> tuple[int, int] | None:
    for kind, start, end in _boxes(data, moov_start, moov_end):
        if kind != b"trak":
            continue
        children = {child: (s, e) for child, s, e in _boxes(data, start, end)}
        if b"tkhd" in children and _mp4_handler(data, children.get(b"mdia")) == b"vide":
            return _mp4_tkhd_size(data, *children[b"tkhd"])
    return None


def _mp4_handler(data: bytes, mdia: tuple[int, int] | None) -> bytes | None:
    """The track's handler type ('vide', 'soun', ...) from mdia/hdlr."""
    if mdia is None:
        return None
    for kind, start, end in _boxes(data, *mdia):
        if kind == b"hdlr" and end - start >= 12:
            return data[start + 8 : start + 12]  # after version/flags and pre_defined
    return None


def _mp4_tkhd_size(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """Width and height: two 16.16 fixed-point numbers at the end of the track header."""
    if start == end:
        raise _malformed_mp4("its track header is empty")
    offset = _TKHD_SIZE_OFFSET.get(data[start])
    if offset is None:
        raise _malformed_mp4(f"its track header has an unknown version ({data[start]})")
    if end - start < offset + 8:
        raise _malformed_mp4("its track header is too short")
    width, height = struct.unpack_from(">II", data, start + offset)
    return _dimensions(width >> 16, height >> 16)


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of the ISO BMFF boxes in data[start:end].

    Every box advances by at least its 8-byte header, so the loop ends; size 0 means "to the end",
    size 1 a 64-bit size after the type. A box that does not fit its parent (or the file) is malformed.
    """
    offset = start
    while offset < end:
        if end - offset < 8:
            raise _malformed_mp4("a box header is cut short")
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            if end - offset < 16:
                raise _malformed_mp4("a box header is cut short")
            (size,) = struct.unpack_from(">Q", data, offset + 8)
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            name = kind.decode("ascii", "backslashreplace")
            raise _malformed_mp4(f"its '{name}' box is larger than the space left for it (truncated upload?)")
        yield kind, offset + header, offset + size
        offset += size


def _malformed_mp4(reason: str) -> InvalidImage:
    return InvalidImage(f"The MP4 video is malformed: {reason}")


def _webm_dimensions(data: bytes) -> tuple[int, int] | None:
    """Check the EBML header's DocType; the first video track's PixelWidth x PixelHeight if any."""
    top = _ebml_elements(data, 0, len(data))
    _, start, end = next(top)  # the EBML header: the caller saw its id at offset 0
    _check_webm_doctype(data, start, end)
    segment = next(((s, e) for element_id, s, e in top if element_id == _SEGMENT), None)
    if segment is None:
        raise _malformed_webm("it has no Segment")
    for element_id, start, end in _ebml_elements(data, *segment):
        if element_id == _CLUSTER:  # WebM puts Tracks before the first Cluster of frames
            break
        if element_id == _TRACKS:
            return _webm_video_track_size(data, start, end)
    return None


def _check_webm_doctype(data: bytes, start: int, end: int) -> None:
    doctype = next((data[s:e] for i, s, e in _ebml_elements(data, start, end) if i == _EBML_DOCTYPE), None)
    if doctype is None:  # EBML's default DocType
        doctype = b"matroska"
    if doctype.rstrip(b"\x00") != b"webm":
        name = doctype.decode("ascii", "backslashreplace")
        raise InvalidImage(f"The file is an EBML file of type '{name}', not a WebM video; {ACCEPTED}")


def _webm_video_track_size(data: bytes, tracks_start: int, tracks_end: int) -> tuple[int, int] | None:
    for element_id, start, end in _ebml_elements(data, tracks_start, tracks_end):
        if element_id != _TRACK_ENTRY:
            continue
        video = next(((s, e) for i, s, e in _ebml_elements(data, start, end) if i == _VIDEO), None)
        if video is not None:
            pixels = {i: _ebml_uint(data, s, e) for i, s, e in _ebml_elements(data, *video)}
            return _dimensions(pixels.get(_PIXEL_WIDTH, 0), pixels.get(_PIXEL_HEIGHT, 0))
    return None


def _ebml_elements(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(id, payload start, payload end) of the EBML elements in data[start:end].

    Every element advances by at least its 2-byte header, so the loop ends. An unknown size (all
    ones, used by live recordings for Segment and Cluster) extends to the parent's end.
    """
    offset = start
    while offset < end:
        element_id, offset = _ebml_id(data, offset, end)
        size, offset = _ebml_size(data, offset, end)
        payload_end = end if size is None else offset + size
        if payload_end > end:
            raise _malformed_webm(
                f"its element 0x{element_id:X} is larger than the space left for it (truncated upload?)"
            )
        yield element_id, offset, payload_end
        offset = payload_end


def _ebml_id(data: bytes, offset: int, end: int) -> tuple[int, int]:
    """An element id (1-4 bytes, length marker kept, as the specification writes ids)."""
    length = _ebml_vint_length(data, offset, end, max_length=4)
    return int.from_bytes(data[offset : offset + length]), offset + length


def _ebml_size(data: bytes, offset: int, end: int) -> tuple[int | None, int]:
    """An element size (1-8 bytes, length marker removed); None for all ones ("unknown")."""
    length = _ebml_vint_length(data, offset, end, max_length=8)
    all_ones = (1 << 7 * length) - 1
    value = int.from_bytes(data[offset : offset + length]) & all_ones
    return (None if value == all_ones else value), offset + length


def _ebml_vint_length(data: bytes, offset: int, end: int, *, max_length: int) -> int:
    """The length of a variable-length integer: one more than its first byte's leading zero bits."""
    length = 9 - data[offset].bit_length() if offset < end else 0
    if not 0 < length <= max_length or offset + length > end:
        raise _malformed_webm("an element header is invalid or cut short")
    return length


def _ebml_uint(data: bytes, start: int, end: int) -> int:
    if end - start > 8:
        raise _malformed_webm("an integer element is longer than 8 bytes")
    return int.from_bytes(data[start:end])


def _malformed_webm(reason: str) -> InvalidImage:
    return InvalidImage(f"The WebM video is malformed: {reason}")
