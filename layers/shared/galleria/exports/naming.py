"""Readable, unique names for the files in an export: ``{created-date}_{slug-of-prompt}_{id}.{ext}``."""

from __future__ import annotations

import re
import unicodedata

from galleria.domain.items import Item

SLUG_CHARS = 40
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Lower-case ASCII words joined by '-', at most SLUG_CHARS long ("image" when nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    return words[:SLUG_CHARS].rstrip("-") or "image"


def entry_name(item: Item, extension: str) -> str:
    """Unique within an export because the id is in it."""
    return f"{item.created_at[:10]}_{slug(item.title or item.prompt)}_{item.id}.{extension}"
