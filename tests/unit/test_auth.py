"""Bearer authentication against key hashes."""

from __future__ import annotations

import pytest

from galleria.accounts.keys import generate_key, hash_key
from galleria.auth import authenticate
from galleria.domain.teams import ApiKey
from galleria.errors import Unauthorized


class FakeKeys:
    def __init__(self, *keys: ApiKey) -> None:
        self.by_hash = {k.key_hash: k for k in keys}

    def find_key(self, key_hash: str) -> ApiKey | None:
        return self.by_hash.get(key_hash)


def _key(secret: str, *, revoked: bool = False) -> ApiKey:
    return ApiKey(
        key_id="key_1",
        team_id="team_1",
        prefix=secret[:12],
        key_hash=hash_key(secret),
        created_at="2026-01-01T00:00:00Z",
        revoked_at="2026-01-02T00:00:00Z" if revoked else None,
    )


def test_a_valid_key_identifies_its_team() -> None:
    secret = generate_key()
    principal = authenticate(f"Bearer {secret}", FakeKeys(_key(secret)))  # type: ignore[arg-type]
    assert principal.team_id == "team_1"


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer glr_unknown", "glr_no_scheme"]
)
def test_missing_malformed_or_unknown_keys_are_rejected(header: str | None) -> None:
    with pytest.raises(Unauthorized):
        authenticate(header, FakeKeys(_key(generate_key())))  # type: ignore[arg-type]


def test_a_revoked_key_is_rejected() -> None:
    secret = generate_key()
    with pytest.raises(Unauthorized):
        authenticate(f"Bearer {secret}", FakeKeys(_key(secret, revoked=True)))  # type: ignore[arg-type]


def test_keys_are_random_and_only_their_hash_is_kept() -> None:
    first, second = generate_key(), generate_key()
    assert first != second
    assert hash_key(first) != first and len(hash_key(first)) == 64
