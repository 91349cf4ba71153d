"""Teams (tenants), their plans and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

GIB = 1024**3


class Plan(StrEnum):
    FREE = "free"
    PRO = "pro"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True)
class PlanLimits:
    storage_bytes: int | None  # None: unlimited
    requests_per_minute: int
    default_visibility: str
    item_visibility: bool  # may items be set public or private one by one


PLAN_LIMITS: dict[Plan, PlanLimits] = {
    Plan.FREE: PlanLimits(
        storage_bytes=1 * GIB, requests_per_minute=10, default_visibility="public", item_visibility=False
    ),
    Plan.PRO: PlanLimits(
        storage_bytes=50 * GIB, requests_per_minute=60, default_visibility="private", item_visibility=True
    ),
    Plan.ENTERPRISE: PlanLimits(
        storage_bytes=None, requests_per_minute=600, default_visibility="private", item_visibility=True
    ),
}


class Team(BaseModel):
    id: str
    name: str
    plan: Plan
    credits: int
    storage_used: int = 0  # every stored byte: originals, thumbnails, derived files, the trash
    item_count: int = 0
    trash_bytes: int = 0  # the part of storage_used that purging the trash would free
    public_tags: bool = False  # may the public feed show this team's tags
    created_at: str

    @property
    def limits(self) -> PlanLimits:
        return PLAN_LIMITS[self.plan]


class ApiKey(BaseModel):
    """A key's public record: never the key itself, only its id, prefix and hash."""

    key_id: str
    team_id: str
    prefix: str
    key_hash: str
    created_at: str
    revoked_at: str | None = None
