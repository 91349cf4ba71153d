"""The team's account: plan, credits and limits, its settings, and the credit ledger."""

from __future__ import annotations

from galleria.api.models.common import RequestModel, ResponseModel
from galleria.api.models.storage import StorageOut


class RateLimitOut(ResponseModel):
    requests_per_minute: int


class AccountOut(ResponseModel):
    team_id: str
    name: str
    plan: str
    credits: int
    storage: StorageOut
    rate_limit: RateLimitOut
    public_tags: bool  # does the public feed show this team's tags


class AccountPatchIn(RequestModel):
    public_tags: bool


class LedgerEntryOut(ResponseModel):
    kind: str
    credits: int
    job_id: str | None
    at: str


class LedgerOut(ResponseModel):
    entries: list[LedgerEntryOut]
    next_cursor: str | None
