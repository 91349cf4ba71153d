"""Prefixed, time-sortable identifiers (ULID layout: 48-bit milliseconds + 80 random bits)."""

from __future__ import annotations

import re
import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_BODY_LENGTH = 26

ITEM = "gal"
COLLECTION = "col"
JOB = "job"
SESSION = "ses"
TEAM = "team"
KEY = "key"

_ID_PATTERN = re.compile(rf"^[a-z]+_[{_ALPHABET}]{{{_BODY_LENGTH}}}$")


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(prefix: str, *, at_ms: int | None = None) -> str:
    """A new id such as ``gal_01j9z…``; ids made later sort after ids made earlier."""
    ms = int(time.time() * 1000) if at_ms is None else at_ms
    return f"{prefix}_{_encode(ms, 10)}{_encode(secrets.randbits(80), 16)}"


def is_valid(value: str, prefix: str) -> bool:
    return value.startswith(prefix + "_") and bool(_ID_PATTERN.match(value))


def id_pattern(prefix: str) -> str:
    """A regular expression for ids of one kind, for request validation."""
    return rf"^{prefix}_[{_ALPHABET}]{{{_BODY_LENGTH}}}$"


def reference_pattern(prefix: str) -> str:
    """A looser expression for ids that name something to look up (in paths, and ids a request
    refers to): any plain id of the kind passes, so a mistyped one answers 404 like an unknown one,
    while path characters, quotes and the like are refused before any lookup."""
    return rf"^{prefix}_[A-Za-z0-9]{{1,64}}$"
