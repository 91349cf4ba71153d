"""Share tokens: the unguessable part of a public share link.

A token is the only secret in a link without a password, so it carries 240 bits from ``secrets``
and uses the URL-safe alphabet so it needs no escaping in a path or a cookie name.
"""

from __future__ import annotations

import re
import secrets

TOKEN_LENGTH = 40
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{40}$"  # noqa: S105 - a regular expression, not a secret

# fullmatch, not match: "$" alone would also accept a trailing newline.
_TOKEN = re.compile(TOKEN_PATTERN)


def new_share_token() -> str:
    """Forty URL-safe characters: 30 random bytes in base64url, which never needs padding."""
    return secrets.token_urlsafe(30)


def is_share_token(value: str) -> bool:
    """True only for exactly forty characters of the token alphabet (no trailing newline, no padding)."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None
