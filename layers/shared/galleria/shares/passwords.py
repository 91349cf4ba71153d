"""Share passwords, kept only as a slow salted scrypt hash.

The stored string names the algorithm and its parameters (``scrypt$n$r$p$salt$hash``), so the
cost can be raised later for new hashes while every existing hash still verifies with the
parameters it was made with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import unicodedata

SCHEME = "scrypt"
N = 2**14
R = 8
P = 1
DKLEN = 32
SALT_BYTES = 16
MAXMEM = 64 * 1024 * 1024

# Bounds on parameters read back from storage, so a corrupted record cannot demand minutes of CPU
# or gigabytes of memory, and a truncated one cannot verify against a trivially short hash.
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16
_MIN_SALT_BYTES = 8
_MIN_DKLEN = 16
_MAX_DKLEN = 64

_DECIMAL = re.compile(r"[1-9][0-9]{0,9}")
_B64URL = re.compile(r"[A-Za-z0-9_-]+")


def hash_password(password: str) -> str:
    """A fresh random salt for every hash, so equal passwords never share a stored value."""
    if not isinstance(password, str):
        raise TypeError("password must be a string")
    if not password:
        raise ValueError("an empty password protects nothing")
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, N, R, P, DKLEN)
    return f"{SCHEME}${N}${R}${P}${_b64encode(salt)}${_b64encode(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for anything malformed, never an exception."""
    if not isinstance(password, str) or not isinstance(stored, str):
        return False
    parsed = _parse(stored)
    if parsed is None:
        return False
    n, r, p, salt, expected = parsed
    try:
        actual = _scrypt(password, salt, n, r, p, len(expected))
    except (ValueError, MemoryError, UnicodeError):
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # NFC first: the same visible password typed on different keyboards must give the same bytes.
    secret = unicodedata.normalize("NFC", password).encode("utf-8")
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=_maxmem(n, r, p))


def _maxmem(n: int, r: int, p: int) -> int:
    # scrypt needs about 128 * r * (n + p) bytes; OpenSSL's default limit (32 MiB) is too tight to
    # leave implicit, and stored parameters may legitimately need more than today's.
    return max(MAXMEM, 128 * r * (n + p + 2) + 1024 * 1024)


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    _, n_text, r_text, p_text, salt_text, hash_text = parts
    if not all(_DECIMAL.fullmatch(text) for text in (n_text, r_text, p_text)):
        return None
    n, r, p = int(n_text), int(r_text), int(p_text)
    if n < 2 or n > _MAX_N or n & (n - 1) or r > _MAX_R or p > _MAX_P:
        return None
    salt, expected = _b64decode(salt_text), _b64decode(hash_text)
    if salt is None or expected is None:
        return None
    if len(salt) < _MIN_SALT_BYTES or not _MIN_DKLEN <= len(expected) <= _MAX_DKLEN:
        return None
    return n, r, p, salt, expected


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes | None:
    # The alphabet is checked first because the base64 module silently skips characters outside it.
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
