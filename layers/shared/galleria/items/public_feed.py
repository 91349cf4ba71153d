"""The public feed: every team's listed public items, newest first, from one sparse index.

Items are public by their ``visibility`` (free-plan teams' items are public by default, paid
plans choose per item); the index holds only listed public items, so a page reads page-size
records whatever the number of private, archived or trashed items.
"""

from __future__ import annotations

from dataclasses import dataclass

from galleria.domain.items import Item
from galleria.errors import InvalidRequest
from galleria.items.listing import MAX_PAGE_WITHOUT_CURSOR
from galleria.items.records import PUBLIC_FEED
from galleria.items.repository import ItemsRepository
from galleria.pagination import decode_cursor, encode_cursor
from galleria.partitions import Range


@dataclass(frozen=True)
class FeedPage:
    items: list[Item]
    next_cursor: str | None


class PublicFeed:
    def __init__(self, items: ItemsRepository | None = None) -> None:
        self.items = items or ItemsRepository()

    def page(self, *, limit: int, page: int = 1, cursor: str | None = None) -> FeedPage:
        if cursor is None and page > MAX_PAGE_WITHOUT_CURSOR:
            raise InvalidRequest(
                f"Invalid field 'page': at most {MAX_PAGE_WITHOUT_CURSOR}; use cursor to go further"
            )
        after = decode_cursor(cursor, ("p",))["p"] if cursor else None
        skip = 0 if cursor else (page - 1) * limit
        found: list[tuple[str, Item]] = []
        for position, item in self.items.scan_partition(
            PUBLIC_FEED, Range(after=after), chunk=skip + limit + 1
        ):
            if not (item.listed and item.visibility == "public"):  # the index lags a change by a moment
                continue
            found.append((position, item))
            if len(found) > skip + limit:
                break
        shown = found[skip : skip + limit]
        more = len(found) > skip + limit
        return FeedPage(
            items=[item for _, item in shown],
            next_cursor=encode_cursor({"p": shown[-1][0]}) if more and shown else None,
        )
