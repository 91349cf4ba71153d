"""Gallery listings: which partition a filter reads, and pages that cost page-size reads.

Every source (an index partition or a tag/collection membership partition) holds items in
``dateSk`` order, so a page with a single filter reads page size + 1 items (memberships add one
BatchGet of the same size). With several filters the listing reads the source holding the fewest
items (known from the facet counters) and checks the other filters on each item read; such a
page reads at most ``MAX_READS_PER_PAGE`` items (``MAX_FIRST_READS`` without a cursor, so page
numbers reach as far as counting does) and hands back a cursor to continue from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from galleria.collection_records import CollectionsRepository
from galleria.domain.items import Item
from galleria.errors import InvalidRequest
from galleria.items import records
from galleria.items.changes import FAVORITES, TOTAL, model_counter, type_counter
from galleria.items.facet_counters import FacetCounters, Facets
from galleria.items.filters import ListingFilter
from galleria.items.repository import ItemsRepository
from galleria.pagination import decode_cursor, encode_cursor
from galleria.partitions import Partition, Range

MAX_READS_PER_PAGE = 1000  # items a cursor request may read when filters are combined or searched
MAX_FIRST_READS = 20_000  # the same without a cursor (page numbers); also what a total may count
MAX_PAGE_WITHOUT_CURSOR = 500
_END_OF_ID = "~"  # sorts after every id character: "{to}~" bounds a whole millisecond


@dataclass(frozen=True)
class Source:
    partition: Partition
    count: int
    cost_per_item: int = 1  # membership sources read the membership and then the item


@dataclass(frozen=True)
class ListingPage:
    items: list[Item]
    total: int
    next_cursor: str | None
    total_exact: bool = True
    items_read: int = 0


@dataclass
class _Cursor:
    position: str | None = None
    total: int | None = None
    exact: bool = True


def _trashed(item: Item) -> bool:
    return not item.live


def _parse_cursor(cursor: str | None) -> _Cursor:
    if cursor is None:
        return _Cursor()
    fields = decode_cursor(cursor, ("p", "t", "x"))
    try:
        return _Cursor(position=fields["p"], total=int(fields["t"]), exact=fields["x"] == "1")
    except ValueError as exc:
        raise InvalidRequest("Invalid cursor: pass nextCursor from a previous page unchanged") from exc


def _cursor(position: str, total: int, exact: bool) -> str:
    return encode_cursor({"p": position, "t": str(total), "x": "1" if exact else "0"})


class GalleryListing:
    def __init__(
        self,
        items: ItemsRepository | None = None,
        collections: CollectionsRepository | None = None,
        counters: FacetCounters | None = None,
    ) -> None:
        self.items = items or ItemsRepository()
        self.collections = collections or CollectionsRepository()
        self.counters = counters or FacetCounters()

    # --- sources ---------------------------------------------------------------------------
    def _sources(self, team_id: str, wanted: ListingFilter, facets: Facets) -> list[Source]:
        """Every source that holds all matching items."""
        if wanted.archived:
            return [Source(records.archived(team_id), facets.archived)]
        sources = [Source(records.listed(team_id), facets.count(TOTAL))]
        if wanted.type:
            sources.append(
                Source(records.of_type(team_id, wanted.type), facets.count(type_counter(wanted.type)))
            )
        if wanted.favorite is not None:
            favorites = facets.count(FAVORITES)
            count = favorites if wanted.favorite else facets.count(TOTAL) - favorites
            sources.append(Source(records.by_favorite(team_id, wanted.favorite), count))
        if wanted.model:
            count = facets.count(model_counter(wanted.model))
            sources.append(Source(records.of_model(team_id, wanted.model), count))
        for tag in wanted.tags:
            members = self.items.tags.listing(team_id, tag)
            sources.append(Source(members, facets.tags.get(tag, 0), cost_per_item=2))
        if wanted.collection:
            collection = self.collections.get(team_id, wanted.collection)
            members = self.collections.memberships.listing(team_id, wanted.collection)
            sources.append(Source(members, collection.item_count, cost_per_item=2))
        return sources

    # --- pages -----------------------------------------------------------------------------
    def page(
        self,
        team_id: str,
        wanted: ListingFilter,
        *,
        limit: int,
        page: int = 1,
        cursor: str | None = None,
        newest_first: bool = True,
    ) -> ListingPage:
        if cursor is None and page > MAX_PAGE_WITHOUT_CURSOR:
            raise InvalidRequest(
                f"Invalid field 'page': at most {MAX_PAGE_WITHOUT_CURSOR}; use cursor to go further"
            )
        facets = self.counters.read(team_id, list(wanted.tags))
        candidates = self._sources(team_id, wanted, facets)
        source = min(candidates, key=lambda candidate: candidate.count * candidate.cost_per_item)
        single = not wanted.residual and wanted.facet_filters <= 1
        bounds = Range(
            lower=wanted.created_from,
            upper=f"{wanted.created_to}{_END_OF_ID}" if wanted.created_to else None,
            newest_first=newest_first,
        )
        state = _parse_cursor(cursor)
        before = self.items.reads
        if single:  # the filter's own counter: the last source (the listing's partition when no filter)
            state.total, state.exact = candidates[-1].count, True
        elif state.total is None:
            state.total, state.exact = self._count(source, bounds, wanted)
        bounds = replace(bounds, after=state.position)
        skip = 0 if cursor else (page - 1) * limit
        budget = None if single else MAX_READS_PER_PAGE if cursor else MAX_FIRST_READS
        found, position = self._collect(source, bounds, wanted.matches, skip + limit + 1, budget=budget)
        found = found[skip:]
        more = len(found) > limit or position is not None
        page_items = found[:limit]
        if len(found) > limit:
            position = page_items[-1][0]
        next_cursor = _cursor(position, state.total, state.exact) if more and position else None
        return ListingPage(
            items=[item for _, item in page_items],
            total=state.total,
            next_cursor=next_cursor,
            total_exact=state.exact,
            items_read=self.items.reads - before,
        )

    def _collect(
        self,
        source: Source,
        bounds: Range,
        matches: Callable[[Item], bool],
        wanted_count: int,
        *,
        budget: int | None,
    ) -> tuple[list[tuple[str, Item]], str | None]:
        """Up to ``wanted_count`` matches in order, and the position to continue from when the read
        ``budget`` ran out first (None when the source was read to its end or enough matched)."""
        found: list[tuple[str, Item]] = []
        start = self.items.reads
        chunk = wanted_count if budget is None else min(MAX_READS_PER_PAGE, max(wanted_count, 100))
        for position, item in self.items.scan_partition(source.partition, bounds, chunk):
            if matches(item):
                found.append((position, item))
                if len(found) >= wanted_count:
                    return found, None
            if budget is not None and self.items.reads - start >= budget:
                return found, position
        return found, None

    def _count(self, source: Source, bounds: Range, wanted: ListingFilter) -> tuple[int, bool]:
        """Matches in the source, reading at most MAX_FIRST_READS items (then a lower bound)."""
        start, count = self.items.reads, 0
        for _, item in self.items.scan_partition(source.partition, bounds, chunk=1000):
            count += wanted.matches(item)
            if self.items.reads - start >= MAX_FIRST_READS:
                return count, False
        return count, True

    def hidden_items(self, team_id: str) -> Iterator[Item]:
        """Archived and trashed items, which have no memberships (read in full: for the rare
        operations that must reach every item, such as deleting a collection)."""
        for partition in (records.archived(team_id), records.trashed(team_id)):
            for _, item in self.items.scan_partition(partition, Range(), chunk=500):
                yield item

    def trash(self, team_id: str, *, limit: int, page: int = 1, cursor: str | None = None) -> ListingPage:
        """Trashed items, newest deletion first; the trash counter gives the total."""
        source = Source(records.trashed(team_id), self.counters.read(team_id, []).trash)
        state = _parse_cursor(cursor)
        skip = 0 if cursor else (page - 1) * limit
        found, _ = self._collect(source, Range(after=state.position), _trashed, skip + limit + 1, budget=None)
        found = found[skip:]
        page_items = found[:limit]
        more = len(found) > limit
        next_cursor = _cursor(page_items[-1][0], source.count, True) if more else None
        return ListingPage(
            items=[item for _, item in page_items], total=source.count, next_cursor=next_cursor
        )
