"""Signed, time-limited proof that a visitor entered the right password for one share.

The grant lives in an HttpOnly cookie as ``{expires_unix}.{signature}``. The signature covers the
share token, the expiry and the share's current password hash, so a grant cannot be moved to
another share or extended, and changing or removing the password revokes every grant at once
without storing any session state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from galleria.shares.tokens import is_share_token

ACCESS_SECONDS = 3600
COOKIE_PREFIX = "galleria_share_"

_NAME_CHARS = 12
_SIGNATURE_LENGTH = 43  # base64url of a SHA-256 digest without its one padding character
_VALUE = re.compile(r"([0-9]{1,12})\.([A-Za-z0-9_-]{43})")
# A cookie path must not be able to end the value and smuggle in attributes of its own.
_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,=:@%/-]*")


def cookie_name(token: str) -> str:
    """A short, always-valid cookie name: the grant's signature binds it to the full token anyway."""
    if not is_share_token(token):
        raise ValueError("not a share token")
    return COOKIE_PREFIX + token[:_NAME_CHARS]


class ShareAccess:
    """Grants and checks access cookies under a key supplied by the caller (the media signing key)."""

    def __init__(self, signing_key: Callable[[], bytes]) -> None:
        self._signing_key = signing_key

    def grant(self, token: str, password_hash: str, now: datetime) -> str:
        expires = int((_utc(now) + timedelta(seconds=ACCESS_SECONDS)).timestamp())
        return f"{expires}.{self._sign(token, password_hash, expires)}"

    def verify(self, token: str, password_hash: str, value: str, now: datetime) -> bool:
        """False for a malformed, expired, foreign or revoked grant; never an exception for bad input."""
        moment = _utc(now)
        if not isinstance(value, str) or not isinstance(token, str) or not isinstance(password_hash, str):
            return False
        match = _VALUE.fullmatch(value)
        if match is None:
            return False
        expires = int(match.group(1))
        if moment.timestamp() >= expires:
            return False
        expected = self._sign(token, password_hash, expires)
        return hmac.compare_digest(expected.encode("ascii"), match.group(2).encode("ascii"))

    def cookie(self, token: str, value: str, *, path: str) -> Cookie:
        """The Set-Cookie for a grant: HttpOnly, Secure, SameSite=Lax, limited to ``path``."""
        if _VALUE.fullmatch(value) is None:
            raise ValueError("not an access grant")
        if _PATH.fullmatch(path) is None:
            raise ValueError("unsafe cookie path")
        return Cookie(
            name=cookie_name(token),
            value=value,
            path=path,
            max_age=ACCESS_SECONDS,
            http_only=True,
            secure=True,
            same_site=SameSite.LAX_MODE,
        )

    def _sign(self, token: str, password_hash: str, expires: int) -> str:
        message = f"{token}|{expires}|{password_hash}".encode()
        digest = hmac.new(self._signing_key(), message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")[:_SIGNATURE_LENGTH]


def read_cookie(cookie_header: str | None, token: str) -> str | None:
    """This share's grant from a raw Cookie header, or None; garbage never raises.

    Parsed by hand rather than with ``SimpleCookie``, which stops at the first malformed pair and
    would let a stray cookie from elsewhere on the domain hide the grant.
    """
    if not isinstance(cookie_header, str) or not is_share_token(token):
        return None
    wanted = cookie_name(token)
    for pair in cookie_header.split(";"):
        name, sep, value = pair.partition("=")
        if sep and name.strip() == wanted:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value or None
    return None


def _utc(now: datetime) -> datetime:
    # A naive datetime would be read as local time by ``timestamp()``: refuse it rather than guess.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now
