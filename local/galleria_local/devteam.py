"""The dev team the local stack creates at start, so `curl` works at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from galleria import aws
from galleria.accounts import admin
from galleria.accounts.repository import AccountsRepository
from galleria.config import get_settings
from galleria.domain.teams import Plan

DEV_CREDITS = 10_000


@dataclass(frozen=True)
class DevTeam:
    team_id: str
    api_key: str


def seed_dev_team(env: Mapping[str, str]) -> DevTeam:
    """Create a pro team with credits and one key, in the local AWS that ``env`` points at."""
    os.environ.update(env)
    get_settings.cache_clear()
    aws.reset_clients()
    repo = AccountsRepository()
    team = admin.create_team(repo, name="dev", plan=Plan.PRO, credits=DEV_CREDITS)
    issued = admin.issue_key(repo, team.id)
    return DevTeam(team_id=team.id, api_key=issued.api_key)
