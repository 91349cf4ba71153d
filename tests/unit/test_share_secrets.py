"""Share secrets: link tokens, password hashes and the signed cookies that remember a password."""

from __future__ import annotations

import base64
import hashlib
import re
import string
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest

from galleria.shares.access import (
    ACCESS_SECONDS,
    COOKIE_PREFIX,
    ShareAccess,
    cookie_name,
    read_cookie,
)
from galleria.shares.passwords import hash_password, verify_password
from galleria.shares.tokens import TOKEN_PATTERN, is_share_token, new_share_token

TOKEN_ALPHABET = set(string.ascii_letters + string.digits + "-_")
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture(scope="module")
def stored() -> str:
    # One scrypt hash shared by the verification tests: each costs tens of milliseconds.
    return hash_password(PASSWORD)


@pytest.fixture
def access() -> ShareAccess:
    return ShareAccess(lambda: b"k" * 32)


@pytest.fixture
def token() -> str:
    return new_share_token()


# Tokens


def test_tokens_are_forty_url_safe_characters_and_unique() -> None:
    tokens = [new_share_token() for _ in range(1000)]
    assert len(set(tokens)) == 1000
    for token in tokens:
        assert len(token) == 40
        assert set(token) <= TOKEN_ALPHABET
        assert re.match(TOKEN_PATTERN, token)
        assert is_share_token(token)


@pytest.mark.parametrize(
    "value",
    ["", "a" * 39, "a" * 41, "a" * 39 + "=", "a" * 39 + "/", "a" * 39 + "é", "a" * 40 + "\n", None, 40],
)
def test_anything_else_is_not_a_token(value: object) -> None:
    assert not is_share_token(value)  # type: ignore[arg-type]


# Passwords


def test_the_hash_hides_the_password_and_describes_its_parameters(stored: str) -> None:
    assert PASSWORD not in stored
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.urlsafe_b64decode(salt + "==")) == 16
    assert len(base64.urlsafe_b64decode(digest + "=")) == 32
    assert "=" not in salt + digest


def test_two_hashes_of_one_password_differ_by_their_salt(stored: str) -> None:
    again = hash_password(PASSWORD)
    assert again != stored
    assert again.split("$")[4] != stored.split("$")[4]
    assert verify_password(PASSWORD, again)


def test_the_right_password_verifies(stored: str) -> None:
    assert verify_password(PASSWORD, stored)


@pytest.mark.parametrize("attempt", ["Correct horse", "correct horse ", "", "correct"])
def test_a_wrong_password_does_not(stored: str, attempt: str) -> None:
    assert not verify_password(attempt, stored)


def test_unicode_equivalent_passwords_match() -> None:
    composed = unicodedata.normalize("NFC", "crème brûlée")
    decomposed = unicodedata.normalize("NFD", "crème brûlée")
    assert composed != decomposed
    assert verify_password(decomposed, hash_password(composed))


def test_an_empty_password_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        hash_password("")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "scrypt",
        "scrypt$x",
        "scrypt$16384$8$1$salt",
        "bcrypt$2b$12$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ",
        "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$$",
        "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$!!!!",
        "scrypt$16384$8$1$c2FsdA$" + "A" * 43,  # salt too short
        "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$AAAA",  # hash too short
        "scrypt$16385$8$1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,  # n not a power of two
        "scrypt$1073741824$8$1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,  # n absurdly large
        "scrypt$16384$0$1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,
        "scrypt$+16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,
        "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43 + "$extra",
        None,
    ],
)
def test_malformed_stored_strings_fail_quietly(bad: object) -> None:
    assert verify_password(PASSWORD, bad) is False  # type: ignore[arg-type]


def test_parameters_are_read_from_the_stored_string() -> None:
    # A cheaper hash made "earlier" with other parameters and a 24-byte digest still verifies.
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**10, r=4, p=2, dklen=24)
    stored = f"scrypt$1024$4$2${_b64(salt)}${_b64(digest)}"
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD, stored.replace("$1024$", "$2048$"))
    assert not verify_password(PASSWORD, stored.replace("$4$2$", "$4$1$"))


# Access grants


def test_a_grant_verifies_for_its_own_token_only(access: ShareAccess, token: str) -> None:
    value = access.grant(token, "hash-1", NOW)
    assert access.verify(token, "hash-1", value, NOW)
    assert not access.verify(new_share_token(), "hash-1", value, NOW)


def test_a_grant_expires_after_an_hour(access: ShareAccess, token: str) -> None:
    value = access.grant(token, "hash-1", NOW)
    assert value.split(".")[0] == str(int(NOW.timestamp()) + ACCESS_SECONDS)
    assert access.verify(token, "hash-1", value, NOW + timedelta(seconds=ACCESS_SECONDS - 1))
    assert not access.verify(token, "hash-1", value, NOW + timedelta(seconds=ACCESS_SECONDS))
    assert not access.verify(token, "hash-1", value, NOW + timedelta(days=1))


def test_changing_or_removing_the_password_revokes_grants(access: ShareAccess, token: str) -> None:
    value = access.grant(token, "hash-1", NOW)
    assert not access.verify(token, "hash-2", value, NOW)
    assert not access.verify(token, "", value, NOW)


def test_a_grant_under_another_key_fails(access: ShareAccess, token: str) -> None:
    value = access.grant(token, "hash-1", NOW)
    assert not ShareAccess(lambda: b"j" * 32).verify(token, "hash-1", value, NOW)


def test_a_tampered_grant_fails(access: ShareAccess, token: str) -> None:
    value = access.grant(token, "hash-1", NOW)
    expires, signature = value.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert not access.verify(token, "hash-1", f"{expires}.{flipped}", NOW)
    # Pushing the expiry forward breaks the signature too.
    assert not access.verify(token, "hash-1", f"{int(expires) + 3600}.{signature}", NOW)


@pytest.mark.parametrize(
    "value",
    ["", ".", "abc", "123", "123.", ".abc", "1.2.3", "x" * 200, "１２.abc", " 1." + "A" * 43, None],
)
def test_malformed_grants_fail_quietly(access: ShareAccess, token: str, value: object) -> None:
    assert access.verify(token, "hash-1", value, NOW) is False  # type: ignore[arg-type]


def test_naive_datetimes_are_refused(access: ShareAccess, token: str) -> None:
    with pytest.raises(ValueError, match="timezone"):
        access.grant(token, "hash-1", datetime(2024, 5, 1, 12, 0))


def test_the_cookie_is_short_named_and_locked_down(access: ShareAccess, token: str) -> None:
    value = access.grant(token, "hash-1", NOW)
    header = str(access.cookie(token, value, path=f"/s/{token}"))
    name = COOKIE_PREFIX + token[:12]
    assert cookie_name(token) == name
    assert header.startswith(f"{name}={value};")
    attributes = [part.strip() for part in header.split(";")[1:]]
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Max-Age=3600", f"Path=/s/{token}"} == set(attributes)


@pytest.mark.parametrize("path", ["", "s/x", "/s; Domain=evil.example", "/s\r\nSet-Cookie: x=1", "/a b"])
def test_a_cookie_path_cannot_inject_attributes(access: ShareAccess, token: str, path: str) -> None:
    value = access.grant(token, "hash-1", NOW)
    with pytest.raises(ValueError, match="path"):
        access.cookie(token, value, path=path)


def test_read_cookie_finds_this_shares_grant_among_several(access: ShareAccess, token: str) -> None:
    other = new_share_token()
    mine = access.grant(token, "hash-1", NOW)
    theirs = access.grant(other, "hash-1", NOW)
    header = f"theme=dark; {cookie_name(other)}={theirs};{cookie_name(token)}={mine} ; session=abc"
    assert read_cookie(header, token) == mine
    assert read_cookie(header, other) == theirs
    assert read_cookie(f'{cookie_name(token)}="{mine}"', token) == mine


@pytest.mark.parametrize(
    "header",
    [None, "", ";;;", "=", "garbage", "a=b; c", '"; \x00 =;', "galleria_share_=x", "\udcff=1", 42],
)
def test_read_cookie_returns_none_for_garbage(header: object, token: str) -> None:
    assert read_cookie(header, token) is None  # type: ignore[arg-type]


def test_read_cookie_ignores_an_invalid_token() -> None:
    assert read_cookie("galleria_share_abc=1", "abc") is None
