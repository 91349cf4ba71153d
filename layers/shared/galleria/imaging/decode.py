"""Safe decoding of user-supplied image bytes: cheap checks first, pixels last.

Order matters: byte size (free), then the header (format, dimensions, animation) through a lazy
``Image.open``, and only then ``load()``, so a decompression bomb is rejected before any pixel
buffer is allocated.
"""

from __future__ import annotations

import base64
import io
import math
import re
import struct
import warnings

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from galleria.errors import InvalidImage
from galleria.imaging.formats import DEFAULT_FORMATS, FORMAT_BY_MIME, human_list, sniff_format

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 10 * MB
DEFAULT_MAX_PIXELS = 40_000_000
# Our own stored originals were validated at upload or rendered by us: generous limits, but still
# bounded so a corrupted object cannot exhaust a Lambda's memory. Kept below Pillow's own warning
# threshold (Image.MAX_IMAGE_PIXELS, ~89.5 MP).
STORED_MAX_BYTES = 64 * MB
STORED_MAX_PIXELS = 80_000_000
# Stored originals may also be uploaded GIFs (read as their first frame).
STORED_FORMATS = DEFAULT_FORMATS | {"GIF"}

CORRUPT = "The image is truncated or corrupt"
ANIMATED = "Animated images are not supported; upload a still image"

# What Pillow's decoders raise for damaged data. UnidentifiedImageError (an OSError) is handled
# separately, before these.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)
_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)(?P<params>(?:;[^,;]*)*);base64", re.IGNORECASE)
_DATA_URL_HEADER_MAX = 256
# Pillow reports MPO (a JPEG with extra pictures, common from phone cameras) as its own format.
_FORMAT_ALIASES = {"MPO": "JPEG"}


def open_image(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    allowed_formats: frozenset[str] = DEFAULT_FORMATS,
    allow_animated: bool = False,
    draft: int | None = None,
) -> Image.Image:
    """Decode user bytes into a fully loaded, upright image, or raise InvalidImage saying why.

    ``draft`` is the longest side the caller needs: a JPEG may then decode at 1/2, 1/4 or 1/8 scale
    (never below it), much faster when only a thumbnail is wanted. Animated images give their
    first frame when allowed.
    """
    check_byte_size(len(data), max_bytes)
    image = open_lazily(data, allowed_formats=allowed_formats, max_pixels=max_pixels)
    try:
        check_pixels(image.size, max_pixels)
        if not allow_animated and image.format != "MPO" and getattr(image, "is_animated", False):
            raise InvalidImage(ANIMATED)
        if draft is not None:
            draft_longest_side(image, draft)
        image.load()
    except InvalidImage:
        image.close()
        raise
    except DECODE_ERRORS as exc:
        image.close()
        raise InvalidImage(CORRUPT) from exc
    apply_orientation(image)
    return image


def open_lazily(
    data: bytes, *, allowed_formats: frozenset[str] = DEFAULT_FORMATS, max_pixels: int = DEFAULT_MAX_PIXELS
) -> ImageFile.ImageFile:
    """Identify the image from its header only (no pixel data is decoded).

    Only the plugins for ``allowed_formats`` parse the bytes; a rejected format is named by its
    magic bytes instead, so exotic decoders never see user data.
    """
    plugins = sorted(allowed_formats)  # the JPEG plugin also opens MPO
    with warnings.catch_warnings():
        # Callers check dimensions against their own limit straight after this, before any pixel
        # is decoded, with a clearer message. Pillow's hard error (2 x MAX_IMAGE_PIXELS, ~179 MP)
        # stays as a backstop and becomes InvalidImage below; the global is not changed because
        # it is process-wide state that other code relies on. (catch_warnings is not thread-safe
        # before Python 3.14; at worst a concurrent thread would print this warning.)
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=plugins)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise InvalidImage(bomb_message(str(exc), max_pixels)) from exc
        except UnidentifiedImageError:
            raise InvalidImage(_unidentified_message(data, allowed_formats)) from None
        except DECODE_ERRORS as exc:
            raise InvalidImage(CORRUPT) from exc
    if image_format(image) not in allowed_formats:  # defensive: a plugin may report another name
        image.close()
        raise InvalidImage(f"Unsupported image format '{image.format}'; use {human_list(allowed_formats)}")
    return image


def image_format(image: Image.Image) -> str:
    """The image's format name as users know it ('JPEG' for Pillow's 'MPO')."""
    fmt = image.format or ""
    return _FORMAT_ALIASES.get(fmt, fmt)


def draft_longest_side(image: Image.Image, longest: int) -> None:
    """Ask an unloaded JPEG to decode at the smallest 1/2..1/8 scale whose longest side is >= ``longest``.

    Other formats (and already loaded images) ignore drafts. EXIF rotation swaps width and height
    but not the longest side, so this is safe before the orientation is applied.
    """
    width, height = image.size
    scale = min(1.0, longest / max(width, height))
    image.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))


def apply_orientation(image: Image.Image) -> None:
    """Rotate/flip in place per the EXIF Orientation tag; a malformed EXIF block is ignored."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except (*DECODE_ERRORS, KeyError, UnicodeDecodeError):
        return


def check_byte_size(size: int, max_bytes: int) -> None:
    if size == 0:
        raise InvalidImage("The image is empty")
    if size > max_bytes:
        raise InvalidImage(
            f"The image is {_human_bytes(size, round_up=True)}; the limit is {_human_bytes(max_bytes)}"
        )


def check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise InvalidImage(CORRUPT)
    if width * height > max_pixels:
        raise InvalidImage(
            f"The image is {width}x{height} ({width * height / 1e6:.1f} megapixels); "
            f"the limit is {_trim(max_pixels / 1e6)} megapixels"
        )


def parse_data_url(value: str, *, max_bytes: int) -> tuple[str, bytes]:
    """Split ``data:image/png;base64,...`` into (mime type, bytes), checking what it claims.

    The encoded length is checked before decoding, so an oversized string costs nothing, and the
    decoded bytes must really be the declared format.
    """
    comma = value.find(",", 0, _DATA_URL_HEADER_MAX)
    header = _DATA_URL.fullmatch(value[:comma]) if comma > 0 else None
    if header is None:
        raise InvalidImage("The image must be a base64 data URL, e.g. data:image/png;base64,...")
    mime = header["mime"].lower()
    allowed = ", ".join(FORMAT_BY_MIME)
    if mime not in FORMAT_BY_MIME:
        raise InvalidImage(f"Unsupported image type '{mime}'; use {allowed}")
    encoded_length = len(value) - comma - 1
    if encoded_length == 0:
        raise InvalidImage("The image is empty")
    # n bytes encode to exactly 4 * ceil(n / 3) characters, so anything longer is over the limit.
    if encoded_length > 4 * math.ceil(max_bytes / 3):
        estimate = encoded_length * 3 // 4
        raise InvalidImage(
            f"The image is {_human_bytes(estimate, round_up=True)}; the limit is {_human_bytes(max_bytes)}"
        )
    try:
        data = base64.b64decode(value[comma + 1 :], validate=True)
    except ValueError:  # binascii.Error, or non-ASCII characters
        raise InvalidImage("The image data is not valid base64") from None
    check_byte_size(len(data), max_bytes)
    actual = sniff_format(data)
    declared = FORMAT_BY_MIME[mime]
    if actual is None:
        raise InvalidImage(f"The data URL declared {mime} but the data is not a recognised image")
    if actual != declared:
        raise InvalidImage(f"The data URL declared {mime} but the data is {actual}")
    return mime, data


def _unidentified_message(data: bytes, allowed_formats: frozenset[str]) -> str:
    sniffed = sniff_format(data)
    if sniffed in allowed_formats:  # right signature, unreadable header
        return CORRUPT
    if sniffed is not None:
        return f"Unsupported image format '{sniffed}'; use {human_list(allowed_formats)}"
    return f"The data is not a recognised image; use {human_list(allowed_formats)}"


def bomb_message(pillow_message: str, max_pixels: int) -> str:
    limit = f"the limit is {_trim(max_pixels / 1e6)} megapixels"
    match = re.search(r"\((\d+) pixels\)", pillow_message)
    if match is None:
        return f"The image has too many pixels; {limit}"
    return f"The image has {int(match[1]) / 1e6:.1f} megapixels; {limit}"


def _human_bytes(size: int, *, round_up: bool = False) -> str:
    """'12.3 MB' / '512 KB' / '900 bytes'. Rounded up for actual sizes so '10.0 MB' never exceeds '10 MB'."""
    for unit, scale in (("MB", MB), ("KB", 1024)):
        if size >= scale / 10:
            value = size / scale
            return f"{_trim(math.ceil(value * 10) / 10 if round_up else value)} {unit}"
    return f"{size} bytes"


def _trim(value: float) -> str:
    """1 decimal, without a trailing '.0': 10.0 -> '10', 12.34 -> '12.3'."""
    text = f"{value:.1f}"
    return text.removesuffix(".0")
