"""inspect_media: an upload is judged by its bytes, and every refusal says why."""

from __future__ import annotations

import os
import random
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from media_samples import box, encode, ftyp, full_box, mp4, tkhd, trak
from PIL import Image, ImageFile

from galleria.errors import InvalidImage
from galleria.uploads.inspect import MediaInfo, inspect_media

LAYER = Path(__file__).resolve().parents[2] / "layers" / "shared"
MB = 1024 * 1024
LIMITS = {"max_bytes": 10 * MB, "max_pixels": 40_000_000}


def inspect(data: bytes, **limits: int) -> MediaInfo:
    return inspect_media(data, **{**LIMITS, **limits})


def refusal(data: bytes, **limits: int) -> str:
    with pytest.raises(InvalidImage) as caught:
        inspect(data, **limits)
    assert caught.value.code == "invalid_image"
    return caught.value.message


# Images


def noisy(size: tuple[int, int]) -> Image.Image:
    """Incompressible pixels, so a file cut in half loses real image data."""
    return Image.frombytes("RGB", size, random.Random(1).randbytes(size[0] * size[1] * 3))


def animation(fmt: str, frames: int, size: tuple[int, int] = (50, 40)) -> bytes:
    images = [Image.new("RGB", size, (40 * i % 256, 90, 200)) for i in range(frames)]
    return encode(images[0], fmt, save_all=True, append_images=images[1:], duration=100)


def png_claiming(width: int, height: int) -> bytes:
    """A real 1x1 PNG whose IHDR (with a recomputed CRC) claims another size."""
    data = bytearray(encode(Image.new("L", (1, 1)), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


@pytest.mark.parametrize(
    ("fmt", "mime_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_still_images_are_identified_with_their_size(fmt: str, mime_type: str) -> None:
    data = encode(Image.new("RGB", (40, 30), (200, 10, 10)), fmt)

    assert inspect(data) == MediaInfo("image", mime_type, 40, 30, animated=False)


@pytest.mark.parametrize(("fmt", "mime_type"), [("GIF", "image/gif"), ("WEBP", "image/webp")])
def test_animations_are_flagged(fmt: str, mime_type: str) -> None:
    assert inspect(animation(fmt, 3)) == MediaInfo("image", mime_type, 50, 40, animated=True)


def test_a_jpeg_reports_its_upright_size() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    data = encode(Image.new("RGB", (40, 30)), "JPEG", exif=exif.tobytes())

    assert (inspect(data).width, inspect(data).height) == (30, 40)


def test_a_text_file_named_png_is_not_an_image() -> None:
    message = refusal(b"just some notes, saved as holiday.png\n")

    assert message == (
        "The file is not a recognised image or video; "
        "upload a PNG, JPEG, WEBP or GIF image or an MP4 or WebM video"
    )


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>', "SVG"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
    ],
)
def test_other_known_formats_are_named_in_the_refusal(data: bytes, name: str) -> None:
    assert refusal(data).startswith(f"Unsupported file type '{name}'; upload a PNG")


def test_an_empty_file_is_refused() -> None:
    assert refusal(b"") == "The file is empty"


def test_a_file_over_the_byte_limit_is_refused_before_it_is_parsed() -> None:
    data = encode(noisy((40, 30)), "PNG")

    assert refusal(data, max_bytes=1000) == f"The file is {len(data):,} bytes; the limit is 1,000 bytes"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_a_truncated_image_is_refused(fmt: str) -> None:
    data = encode(noisy((200, 200)), fmt)

    assert refusal(data[: len(data) * 6 // 10]) == "The image is truncated or corrupt"


def test_a_truncated_later_frame_of_an_animation_is_refused() -> None:
    data = animation("GIF", 3)

    assert refusal(data[:-20]) == "The image is truncated or corrupt"


def test_an_animation_too_costly_to_check_is_refused() -> None:
    # 20 frames of 100x100 = 200,000 pixels to decode; the budget is 10 x max_pixels = 100,000.
    message = refusal(animation("GIF", 20, (100, 100)), max_pixels=10_000)

    assert message == (
        "The animation is too long to check: more than 10 frames of 100x100; "
        "upload a shorter or smaller animation"
    )


def test_a_decompression_bomb_is_refused_from_its_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("pixels were decoded"))
    data = png_claiming(30000, 30000)
    assert len(data) < 100

    assert refusal(data) == "The image has 900.0 megapixels; the limit is 40 megapixels"


@pytest.mark.parametrize(("side", "megapixels"), [(10000, "100.0"), (20000, "400.0")])
def test_a_later_gif_frame_growing_the_canvas_hits_the_bomb_guard(side: int, megapixels: str) -> None:
    # Pillow's own guard fires while seeking (a warning above ~89 MP, an error above ~179 MP).
    data = bytearray(animation("GIF", 2))
    first_control = data.index(b"\x21\xf9\x04")
    descriptor = data.index(b"\x21\xf9\x04", first_control + 1) + 8  # after the 2nd frame's control block
    assert data[descriptor] == 0x2C
    data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", side, side)

    assert refusal(bytes(data)) == f"The image has {megapixels} megapixels; the limit is 40 megapixels"


def test_an_image_over_the_pixel_limit_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("pixels were decoded"))
    data = encode(Image.new("RGB", (1000, 800)), "PNG")

    message = refusal(data, max_pixels=500_000)

    assert message == "The image is 1000x800 (0.8 megapixels); the limit is 0.5 megapixels"


# MP4


def test_an_mp4_gives_its_video_track_size() -> None:
    data = mp4(trak(b"soun", tkhd(0, 0)), trak(b"vide", tkhd(640, 360)))

    assert inspect(data) == MediaInfo("video", "video/mp4", 640, 360)


def test_a_version_1_track_header_is_read() -> None:
    assert inspect(mp4(trak(b"vide", tkhd(1920, 1080, version=1)))).width == 1920


def test_an_mp4_with_only_ftyp_is_valid_without_dimensions() -> None:
    assert inspect(ftyp(b"mp42", b"mp42isom")) == MediaInfo("video", "video/mp4", None, None)


def test_64_bit_and_to_the_end_box_sizes_are_followed() -> None:
    moov = box(b"moov", trak(b"vide", tkhd(320, 240)))
    large_free = struct.pack(">I4sQ", 1, b"free", 16 + 8) + bytes(8)
    mdat_to_the_end = struct.pack(">I4s", 0, b"mdat") + bytes(100)

    info = inspect(ftyp() + large_free + moov + mdat_to_the_end)

    assert (info.width, info.height) == (320, 240)


def test_an_unknown_brand_is_refused() -> None:
    data = box(b"ftyp", b"zzzz\x00\x00\x00\x00zz\x01z") + box(b"moov", trak(b"vide", tkhd(640, 360)))

    assert refusal(data).startswith("The file is an ISO media file of brand 'zzzz', not an MP4 video; upload")


def test_a_truncated_mp4_is_refused() -> None:
    assert refusal(mp4(trak(b"vide", tkhd(640, 360)))[:-10]) == (
        "The MP4 video is malformed: its 'mdat' box is larger than the space left for it (truncated upload?)"
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (ftyp() + struct.pack(">I4s", 4, b"moov"), "its 'moov' box is larger than the space left for it"),
        (ftyp() + struct.pack(">I4s", 1, b"moov") + bytes(4), "a box header is cut short"),
        (box(b"ftyp", b"isom\x00\x00"), "its ftyp box has an invalid size (14 bytes)"),
        (ftyp() + box(b"moov", trak(b"vide", full_box(b"tkhd", 0, bytes(10)))), "track header is too short"),
        (ftyp() + box(b"moov", trak(b"vide", box(b"tkhd", b""))), "its track header is empty"),
        (
            ftyp() + box(b"moov", trak(b"vide", tkhd(640, 360, version=2))),
            "track header has an unknown version (2)",
        ),
    ],
)
def test_a_malformed_mp4_header_is_refused(data: bytes, reason: str) -> None:
    message = refusal(data)

    assert message.startswith("The MP4 video is malformed: ")
    assert reason in message


def test_a_video_over_the_pixel_limit_is_refused() -> None:
    message = refusal(mp4(trak(b"vide", tkhd(8000, 6000))))

    assert message == "The video is 8000x6000 (48.0 megapixels); the limit is 40 megapixels"


# WebM


def ebml(element_id: int, payload: bytes, *, unknown_size: bool = False) -> bytes:
    """An EBML element: its id, then its size as the shortest variable-length integer."""
    length = 1
    while len(payload) >= (1 << 7 * length) - 1:
        length += 1
    size = (1 << 8 * length) - 1 if unknown_size else (1 << 7 * length) | len(payload)
    return element_id.to_bytes((element_id.bit_length() + 7) // 8) + size.to_bytes(length) + payload


def uint(element_id: int, value: int) -> bytes:
    return ebml(element_id, value.to_bytes(2))


def webm(
    width: int = 1280, height: int = 720, *, doctype: bytes = b"webm", live: bool = False, tracks: bool = True
) -> bytes:
    header = ebml(0x1A45DFA3, uint(0x4286, 1) + ebml(0x4282, doctype) + uint(0x4287, 4))
    info = ebml(0x1549A966, uint(0x2AD7B1, 1000))
    audio = ebml(0xAE, uint(0xD7, 1) + uint(0x83, 2) + ebml(0xE1, uint(0x9F, 2)))
    video = ebml(0xAE, uint(0xD7, 2) + uint(0x83, 1) + ebml(0xE0, uint(0xB0, width) + uint(0xBA, height)))
    track_list = ebml(0x1654AE6B, audio + video) if tracks else b""
    cluster = ebml(0x1F43B675, uint(0xE7, 0) + ebml(0xA3, bytes(40)), unknown_size=live)
    return header + ebml(0x18538067, info + track_list + cluster, unknown_size=live)


def test_a_webm_gives_its_video_track_size() -> None:
    assert inspect(webm()) == MediaInfo("video", "video/webm", 1280, 720)


def test_a_live_recording_with_unknown_sizes_is_read() -> None:
    # Browsers' MediaRecorder writes Segment and Cluster with an "unknown" size.
    assert inspect(webm(640, 480, live=True)) == MediaInfo("video", "video/webm", 640, 480)


def test_a_webm_without_tracks_is_valid_without_dimensions() -> None:
    assert inspect(webm(tracks=False)) == MediaInfo("video", "video/webm", None, None)


def test_matroska_is_not_webm() -> None:
    message = refusal(webm(doctype=b"matroska"))

    assert message.startswith("The file is an EBML file of type 'matroska', not a WebM video; upload")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x1a\x45\xdf\xa3", "an element header is invalid or cut short"),
        (b"\x1a\x45\xdf\xa3\x00\x00", "an element header is invalid or cut short"),
        (webm()[:-10], "its element 0x18538067 is larger than the space left for it"),
        # an EBML header of 4 bytes holding a DocType of 5
        (b"\x1a\x45\xdf\xa3\x84\x42\x82\x85web", "its element 0x4282 is larger than the space left for it"),
        (webm()[: webm().index(b"\x18\x53\x80\x67")], "it has no Segment"),
    ],
)
def test_a_malformed_webm_header_is_refused(data: bytes, reason: str) -> None:
    message = refusal(data)

    assert message.startswith("The WebM video is malformed: ")
    assert reason in message


def test_a_webm_over_the_pixel_limit_is_refused() -> None:
    assert refusal(webm(), max_pixels=500_000) == (
        "The video is 1280x720 (0.9 megapixels); the limit is 0.5 megapixels"
    )


def test_importing_the_module_does_not_import_pillow() -> None:
    code = "import sys, galleria.uploads.inspect; print('PIL' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(LAYER)}

    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"
