"""Share links: a public token for one item or one collection, with its options and its audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

from galleria.patches import KEEP, Patched

# What expiresIn may say, and how long each lasts (None: never expires).
ExpiresIn = Literal["1h", "1d", "7d", "30d", "never"]
EXPIRY: dict[ExpiresIn, timedelta | None] = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "never": None,
}
DEFAULT_EXPIRY: ExpiresIn = "7d"


class ShareTarget(StrEnum):
    ITEM = "item"
    COLLECTION = "collection"


class ShareState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"  # past expiresAt, or maxViews reached: 410 publicly
    REVOKED = "revoked"  # 404 publicly, like a token that never existed


class Share(BaseModel):
    token: str
    team_id: str
    target_type: ShareTarget
    target_id: str
    created_at: str
    updated_at: str
    expires_in: ExpiresIn = DEFAULT_EXPIRY
    expires_at: str | None = None
    password_hash: str | None = None  # scrypt, never the password (galleria.shares.passwords)
    allow_download: bool = False
    show_metadata: bool = True
    max_views: int | None = None
    views: int = 0
    last_viewed_at: str | None = None
    failed_password_attempts: int = 0
    revoked_at: str | None = None

    @property
    def password_protected(self) -> bool:
        return self.password_hash is not None

    def state(self, now: str) -> ShareState:
        """Where the link stands at ``now`` (an ISO instant, compared as text like every stamp)."""
        if self.revoked_at is not None:
            return ShareState.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return ShareState.EXPIRED
        if self.max_views is not None and self.views >= self.max_views:
            return ShareState.EXPIRED
        return ShareState.ACTIVE


def expiry_time(expires_in: ExpiresIn, start: datetime) -> datetime | None:
    duration = EXPIRY[expires_in]
    return None if duration is None else start + duration


@dataclass(frozen=True)
class ShareOptions:
    """A link's options as a request sets them: all of them when it is made, the ones a PATCH
    names when it changes (``password=None`` removes the password, ``max_views=None`` the cap)."""

    expires_in: Patched[ExpiresIn] = KEEP
    password: Patched[str | None] = KEEP
    allow_download: Patched[bool] = KEEP
    show_metadata: Patched[bool] = KEEP
    max_views: Patched[int | None] = KEEP
