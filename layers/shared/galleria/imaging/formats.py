"""Image format names, MIME types and magic-byte sniffing (no Pillow needed)."""

from __future__ import annotations

MIME_BY_FORMAT: dict[str, str] = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
FORMAT_BY_MIME: dict[str, str] = {mime: fmt for fmt, mime in MIME_BY_FORMAT.items()}
DEFAULT_FORMATS: frozenset[str] = frozenset(MIME_BY_FORMAT)

# Signatures of formats we accept and of the ones users most often try instead. Used to name the
# format in error messages without letting Pillow parse bytes we are going to reject anyway.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "PNG"),
    (0, b"\xff\xd8\xff", "JPEG"),
    (0, b"GIF87a", "GIF"),
    (0, b"GIF89a", "GIF"),
    (0, b"BM", "BMP"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"\x00\x00\x01\x00", "ICO"),
    (0, b"%PDF", "PDF"),
    (0, b"8BPS", "PSD"),
    (0, b"\xff\x0a", "JPEG XL"),
    (0, b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
)
_FTYP_BRANDS: dict[bytes, str] = {
    b"avif": "AVIF",
    b"avis": "AVIF",
    b"heic": "HEIC",
    b"heix": "HEIC",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
}


def sniff_format(data: bytes) -> str | None:
    """Name the image format from the first bytes, or None when it is not recognised."""
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    for offset, signature, name in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return name
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12])
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in data[:4096].lower()):
        return "SVG"
    return None


def sniff_mime_type(data: bytes) -> str | None:
    """The MIME type of a PNG, JPEG or WEBP from its first bytes; None for anything else."""
    return MIME_BY_FORMAT.get(sniff_format(data) or "")


def human_list(formats: frozenset[str] | set[str]) -> str:
    """'PNG, JPEG or WEBP' in a stable order (the accepted ones first, as users know them)."""
    order = [*MIME_BY_FORMAT, *sorted(set(formats) - set(MIME_BY_FORMAT))]
    names = [fmt for fmt in order if fmt in formats]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"
