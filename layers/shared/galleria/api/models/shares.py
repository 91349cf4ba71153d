"""Share links as their team makes and manages them."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from galleria.api.models.common import RequestModel, ResponseModel
from galleria.domain.shares import DEFAULT_EXPIRY, ExpiresIn, ShareOptions

SharePassword = Annotated[str, StringConstraints(min_length=1, max_length=200)]
MaxViews = Annotated[int, Field(ge=1, le=1_000_000)]


class ShareIn(RequestModel):
    expires_in: ExpiresIn = DEFAULT_EXPIRY
    password: SharePassword | None = None
    allow_download: bool = False
    show_metadata: bool = True
    max_views: MaxViews | None = None

    def options(self) -> ShareOptions:
        return ShareOptions(**self.model_dump())


class SharePatchIn(RequestModel):
    """Only the fields sent change; ``password: null`` removes the password, ``maxViews: null`` the cap."""

    expires_in: ExpiresIn | None = None
    password: SharePassword | None = None
    allow_download: bool | None = None
    show_metadata: bool | None = None
    max_views: MaxViews | None = None

    def options(self) -> ShareOptions:
        return ShareOptions(**self.sent_fields(clearable=("password", "max_views")))


class ShareOut(ResponseModel):
    share_url: str
    token: str
    expires_in: str
    expires_at: str | None
    allow_download: bool
    password_protected: bool
    show_metadata: bool
    max_views: int | None
    views: int
    last_viewed_at: str | None
    failed_password_attempts: int
    created_at: str
    updated_at: str
    revoked_at: str | None


class ShareList(ResponseModel):
    shares: list[ShareOut]
