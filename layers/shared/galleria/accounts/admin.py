"""Team and key administration, shared by the admin CLI and the local stack's dev team."""

from __future__ import annotations

from dataclasses import dataclass

from galleria import clock, ids
from galleria.accounts.keys import generate_key, hash_key, visible_prefix
from galleria.accounts.repository import AccountsRepository
from galleria.domain.teams import ApiKey, Plan, Team
from galleria.errors import NotFound


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    team_id: str
    api_key: str  # shown once, never stored


def create_team(repo: AccountsRepository, *, name: str, plan: Plan, credits: int) -> Team:
    team = Team(id=ids.new_id(ids.TEAM), name=name, plan=plan, credits=credits, created_at=clock.now_iso())
    repo.put_team(team)
    return team


def issue_key(repo: AccountsRepository, team_id: str) -> IssuedKey:
    secret = generate_key()
    key = ApiKey(
        key_id=ids.new_id(ids.KEY),
        team_id=team_id,
        prefix=visible_prefix(secret),
        key_hash=hash_key(secret),
        created_at=clock.now_iso(),
    )
    repo.put_key(key)
    return IssuedKey(key_id=key.key_id, team_id=team_id, api_key=secret)


def revoke_key(repo: AccountsRepository, team_id: str, key_id: str) -> ApiKey:
    for key in repo.list_keys(team_id):
        if key.key_id == key_id and key.revoked_at is None:
            repo.revoke_key(key, clock.now_iso())
            return key
    raise NotFound(f"No active key {key_id} in team {team_id}")
