"""Share links as their team makes and manages them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints
from pydantic.alias_generators import to_camel

from galleria.api.models.common import RequestModel, ResponseModel
from galleria.errors import InvalidRequest

ExpiresIn = Literal["1h", "1d", "7d", "30d", "never"]
SharePassword = Annotated[str, StringConstraints(min_length=1, max_length=200)]
MaxViews = Annotated[int, Field(ge=1, le=1_000_000)]


class ShareIn(RequestModel):
    expires_in: ExpiresIn = "7d"
    password: SharePassword | None = None
    allow_download: bool = False
    show_metadata: bool = True
    max_views: MaxViews | None = None

    def options(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class SharePatchIn(RequestModel):
    """Only the fields sent change; ``password: null`` removes the password, ``maxViews: null`` the cap."""

    expires_in: ExpiresIn | None = None
    password: SharePassword | None = None
    allow_download: bool | None = None
    show_metadata: bool | None = None
    max_views: MaxViews | None = None

    def changes(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in self.model_fields_set}
        for name in ("expires_in", "allow_download", "show_metadata"):
            if name in fields and fields[name] is None:
                raise InvalidRequest(f"Invalid field '{to_camel(name)}': must not be null")
        return fields


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
