"""Tag normalisation: trimmed, lower-case, 1–50 characters, at most 50, no duplicates."""

from __future__ import annotations

from galleria.errors import InvalidRequest

MAX_TAGS = 50
MAX_TAG_LENGTH = 50


def normalise_tags(tags: list[str], *, field: str = "tags") -> list[str]:
    result: list[str] = []
    for raw in tags:
        tag = raw.strip().lower()
        if not 1 <= len(tag) <= MAX_TAG_LENGTH:
            raise InvalidRequest(f"Invalid field '{field}': each tag must be 1-{MAX_TAG_LENGTH} characters")
        if "\x00" in tag:
            raise InvalidRequest(f"Invalid field '{field}': tags must not contain NUL (\\u0000) characters")
        if tag not in result:
            result.append(tag)
    if len(result) > MAX_TAGS:
        raise InvalidRequest(f"Invalid field '{field}': at most {MAX_TAGS} tags")
    return result
