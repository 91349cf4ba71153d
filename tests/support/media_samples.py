"""Media files built in code for tests: MP4 containers box by box, and small real images."""

from __future__ import annotations

import io
import struct

from PIL import Image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    """The image saved as ``fmt`` (Pillow's options), in memory."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    """The picture in ``data``, fully read."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), frames: int = 1) -> bytes:
    """A real image (a gradient, a different tint per frame) in a Pillow format: PNG, JPEG, WEBP, GIF."""
    width, height = size

    def picture(frame: int) -> Image.Image:
        pixels = bytes(
            value
            for y in range(height)
            for x in range(width)
            for value in (x * 255 // width, y * 255 // height, (frame * 60) % 256)
        )
        return Image.frombytes("RGB", size, pixels)

    pictures = [picture(frame) for frame in range(frames)]
    buffer = io.BytesIO()
    if frames > 1:
        pictures[0].save(buffer, fmt, save_all=True, append_images=pictures[1:], duration=100, loop=0)
    else:
        pictures[0].save(buffer, fmt)
    return buffer.getvalue()


# MP4: the boxes inspect_media reads (ftyp, moov/trak/tkhd, mdia/hdlr).
def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def full_box(kind: bytes, version: int, payload: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + payload)


def ftyp(major: bytes = b"isom", compatible: bytes = b"isomiso2avc1mp41") -> bytes:
    return box(b"ftyp", major + b"\x00\x00\x02\x00" + compatible)


def tkhd(width: int, height: int, version: int = 0) -> bytes:
    # creation, modification, track id, reserved, duration: 32-bit in version 0, some 64-bit in 1
    times = struct.pack(">IIIII" if version == 0 else ">QQIIQ", 0, 0, 1, 0, 0)
    layer_volume = bytes(8) + struct.pack(">hhhH", 0, 0, 0x0100, 0)
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    return full_box(
        b"tkhd", version, times + layer_volume + matrix + struct.pack(">II", width << 16, height << 16)
    )


def trak(handler: bytes, header: bytes) -> bytes:
    hdlr = full_box(b"hdlr", 0, bytes(4) + handler + bytes(12) + b"\x00")
    return box(b"trak", header + box(b"mdia", hdlr))


def mp4(*tracks: bytes) -> bytes:
    return ftyp() + box(b"moov", b"".join(tracks)) + box(b"mdat", bytes(64))
