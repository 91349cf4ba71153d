"""Bearer API key authentication, one GetItem per request."""

from __future__ import annotations

from dataclasses import dataclass

from galleria.accounts.keys import hash_key
from galleria.accounts.repository import AccountsRepository
from galleria.errors import Unauthorized


@dataclass(frozen=True)
class Principal:
    team_id: str
    key_id: str


def authenticate(authorization: str | None, repo: AccountsRepository) -> Principal:
    if not authorization:
        raise Unauthorized("Missing API key: send 'Authorization: Bearer <key>'")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Malformed Authorization header: expected 'Bearer <key>'")
    key = repo.find_key(hash_key(token))
    if key is None or key.revoked_at is not None:
        raise Unauthorized("Invalid API key")
    return Principal(team_id=key.team_id, key_id=key.key_id)
