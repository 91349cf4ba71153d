"""A team's account as ``GET /api/v1/account`` answers it."""

from __future__ import annotations

from galleria.api.models.account import AccountOut, RateLimitOut
from galleria.api.presenters.storage import storage_out
from galleria.domain.teams import Team


def account_out(team: Team) -> AccountOut:
    return AccountOut(
        team_id=team.id,
        name=team.name,
        plan=team.plan.value,
        credits=team.credits,
        storage=storage_out(team),  # serialised as StorageOut: the account shows no plan or trash bytes
        rate_limit=RateLimitOut(requests_per_minute=team.limits.requests_per_minute),
        public_tags=team.public_tags,
    )
