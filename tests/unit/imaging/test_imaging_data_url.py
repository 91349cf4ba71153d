"""parse_data_url: what a browser sends as an inline image, checked before and after decoding."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from galleria.errors import InvalidImage
from galleria.imaging.decode import parse_data_url

LIMIT = 10 * 1024 * 1024


def encoded(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), "teal").save(buffer, fmt)
    return buffer.getvalue()


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@pytest.mark.parametrize(
    ("mime", "fmt"), [("image/png", "PNG"), ("image/jpeg", "JPEG"), ("image/webp", "WEBP")]
)
def test_a_valid_data_url_gives_its_mime_type_and_bytes(mime: str, fmt: str) -> None:
    data = encoded(fmt)

    assert parse_data_url(data_url(mime, data), max_bytes=LIMIT) == (mime, data)


def test_the_scheme_and_mime_type_are_case_insensitive() -> None:
    data = encoded("PNG")
    value = "DATA:Image/PNG;BASE64," + base64.b64encode(data).decode()

    assert parse_data_url(value, max_bytes=LIMIT) == ("image/png", data)


@pytest.mark.parametrize("mime", ["image/gif", "image/svg+xml", "text/plain", "image/jpg"])
def test_other_mime_types_are_refused_naming_the_allowed_ones(mime: str) -> None:
    with pytest.raises(InvalidImage) as caught:
        parse_data_url(data_url(mime, encoded("PNG")), max_bytes=LIMIT)

    assert caught.value.message == f"Unsupported image type '{mime}'; use image/png, image/jpeg, image/webp"


@pytest.mark.parametrize(
    "value",
    [
        base64.b64encode(b"\x89PNG\r\n\x1a\n").decode(),  # bare base64
        "https://example.com/cat.png",
        "data:image/png,iVBORw0KGgo=",  # not base64-encoded
        "data:image/png;base64",  # no comma
        "",
    ],
)
def test_values_that_are_not_base64_data_urls_are_refused(value: str) -> None:
    with pytest.raises(InvalidImage, match="must be a base64 data URL"):
        parse_data_url(value, max_bytes=LIMIT)


@pytest.mark.parametrize(
    "payload",
    [
        "iVBORw0KGgo!!!!",  # outside the alphabet
        "iVBORw0K Ggo=",  # whitespace is not tolerated
        "iVBORw0KGgo",  # bad padding
        "iVBORw0KGgoé=",  # non-ASCII
    ],
)
def test_bad_base64_is_refused_with_a_clear_reason(payload: str) -> None:
    with pytest.raises(InvalidImage) as caught:
        parse_data_url(f"data:image/png;base64,{payload}", max_bytes=LIMIT)

    assert caught.value.message == "The image data is not valid base64"


def test_an_empty_payload_is_refused() -> None:
    with pytest.raises(InvalidImage, match="empty"):
        parse_data_url("data:image/png;base64,", max_bytes=LIMIT)


def test_an_oversized_payload_is_refused_before_it_is_decoded() -> None:
    # Invalid base64 throughout: had it been decoded, the error would be about base64, not size.
    value = "data:image/png;base64," + "!" * 4_000_000

    with pytest.raises(InvalidImage, match=r"^The image is 2\.9 MB; the limit is 1 MB$"):
        parse_data_url(value, max_bytes=1024 * 1024)


def test_a_payload_exactly_at_the_limit_is_accepted() -> None:
    data = encoded("PNG")

    mime, decoded = parse_data_url(data_url("image/png", data), max_bytes=len(data))

    assert (mime, decoded) == ("image/png", data)


def test_a_payload_one_byte_over_the_limit_is_refused() -> None:
    data = encoded("PNG")

    with pytest.raises(InvalidImage, match="the limit is"):
        parse_data_url(data_url("image/png", data), max_bytes=len(data) - 1)


@pytest.mark.parametrize(
    ("mime", "fmt", "actual"),
    [("image/png", "JPEG", "JPEG"), ("image/jpeg", "WEBP", "WEBP"), ("image/webp", "GIF", "GIF")],
)
def test_the_data_must_really_be_the_declared_format(mime: str, fmt: str, actual: str) -> None:
    with pytest.raises(InvalidImage) as caught:
        parse_data_url(data_url(mime, encoded(fmt)), max_bytes=LIMIT)

    assert caught.value.message == f"The data URL declared {mime} but the data is {actual}"


def test_data_that_is_no_image_at_all_is_refused() -> None:
    with pytest.raises(InvalidImage, match="declared image/png but the data is not a recognised image"):
        parse_data_url(data_url("image/png", b"just some text"), max_bytes=LIMIT)
