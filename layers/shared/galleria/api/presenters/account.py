"""A team's account as ``GET /api/v1/account`` answers it, and its credit ledger."""

from __future__ import annotations

from galleria.accounts.ledger import LedgerEntry
from galleria.api.models.account import AccountOut, LedgerEntryOut, LedgerOut, RateLimitOut
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


def ledger_out(entries: list[LedgerEntry], next_cursor: str | None) -> LedgerOut:
    return LedgerOut(
        entries=[LedgerEntryOut(**entry.model_dump()) for entry in entries], next_cursor=next_cursor
    )
