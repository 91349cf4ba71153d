"""Share links as their team sees them."""

from __future__ import annotations

from galleria.api.links import LinkBuilder
from galleria.api.models.shares import ShareOut
from galleria.domain.shares import Share


def share_out(share: Share, links: LinkBuilder) -> ShareOut:
    return ShareOut(
        **share.model_dump(
            include={
                "token",
                "expires_in",
                "expires_at",
                "allow_download",
                "show_metadata",
                "max_views",
                "views",
                "last_viewed_at",
                "failed_password_attempts",
                "created_at",
                "updated_at",
                "revoked_at",
            }
        ),
        share_url=links.share(share.token),
        password_protected=share.password_protected,
    )
