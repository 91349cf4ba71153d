"""``GET /api/v1/public/gallery``: a page of the public feed, as anyone may see it."""

from __future__ import annotations

from galleria.accounts.repository import AccountsRepository
from galleria.api.links import LinkBuilder
from galleria.api.models.public import PublicGalleryPage, PublicItemOut
from galleria.domain.items import Item, Rendition
from galleria.items.public_feed import PublicFeed


def public_gallery_page(
    links: LinkBuilder,
    *,
    limit: int,
    page: int,
    cursor: str | None,
    feed: PublicFeed | None = None,
    accounts: AccountsRepository | None = None,
) -> PublicGalleryPage:
    found = (feed or PublicFeed()).page(limit=limit, page=page, cursor=cursor)
    teams = (accounts or AccountsRepository()).find_teams([item.team_id for item in found.items])
    tags_shown = {team_id for team_id, team in teams.items() if team.public_tags}
    return PublicGalleryPage(
        items=[_public_item(item, links, show_tags=item.team_id in tags_shown) for item in found.items],
        page=page,
        page_size=limit,
        next_cursor=found.next_cursor,
    )


def _public_item(item: Item, links: LinkBuilder, *, show_tags: bool) -> PublicItemOut:
    return PublicItemOut(
        **item.model_dump(
            include={
                "id",
                "type",
                "prompt",
                "title",
                "model",
                "style_preset",
                "aspect_ratio",
                "width",
                "height",
                "mime_type",
                "created_at",
            }
        ),
        url=links.public_media(item, Rendition.ORIGINAL) or "",
        thumbnail_url=links.public_media(item, Rendition.THUMB_512),
        tags=item.tags if show_tags else [],
    )
