"""API key material: generated from a CSPRNG, stored only as a SHA-256 hash.

Keys carry 190 bits of randomness, so a fast hash is enough: there is nothing to brute-force
that a slow hash would protect (unlike passwords, which get scrypt).
"""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "glr_"
_VISIBLE_PREFIX_LENGTH = 12


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def visible_prefix(key: str) -> str:
    """The part of a key that may be shown in listings to tell keys apart."""
    return key[:_VISIBLE_PREFIX_LENGTH]
