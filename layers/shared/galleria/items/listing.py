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
from datetime import UTC, datetime, timedelta

from galleria import clock
from galleria.collections.repository import CollectionsRepository
from galleria.domain.items import Item
from galleria.errors import InvalidRequest
from galleria.items.changes import FAVORITES, TOTAL, model_counter, type_counter
from galleria.items.facet_counters import FacetCounters, Facets
from galleria.items.memberships import collection_partition, tag_partition
from galleria.items.records import (
    ARCHIVED_INDEX,
    DATE_SORT,
    FAVORITE_INDEX,
    LIVE_INDEX,
    MODEL_INDEX,
    TRASH_INDEX,
    TRASH_SORT,
    TYPE_INDEX,
    team_partition,
)
from galleria.items.repository import ItemsRepository, Partition, Range
from galleria.pagination import decode_cursor, encode_cursor

MAX_READS_PER_PAGE = 1000  # items a cursor request may read when filters are combined or searched
MAX_FIRST_READS = 20_000  # the same without a cursor (page numbers); also what a total may count
MAX_PAGE_WITHOUT_CURSOR = 500
_END_OF_ID = "~"  # sorts after every id character: "{to}~" bounds a whole millisecond


@dataclass(frozen=True)
class ListingFilter:
    type: str | None = None
    favorite: bool | None = None
    model: str | None = None
    tags: tuple[str, ...] = ()
    collection: str | None = None
    search: str | None = None
    min_rating: int = 0
    archived: bool = False
    created_from: str | None = None
    created_to: str | None = None

    def matches(self, item: Item) -> bool:
        return (
            item.live
            and item.archived == self.archived
            and (self.type is None or item.type == self.type)
            and (self.favorite is None or item.favorite == self.favorite)
            and (self.model is None or item.model == self.model)
            and all(tag in item.tags for tag in self.tags)
            and (self.collection is None or self.collection in item.collections)
            and (self.search is None or self.search.lower() in f"{item.prompt}\n{item.title or ''}".lower())
            and item.rating >= self.min_rating
        )

    @property
    def facet_filters(self) -> int:
        """How many filters a counter could answer alone (archived=true counts as one)."""
        singles = (self.type, self.favorite, self.model, self.collection)
        return sum(value is not None for value in singles) + len(self.tags) + self.archived

    @property
    def residual(self) -> bool:
        """Filters no source partition or counter answers by itself."""
        return bool(self.search or self.min_rating or self.created_from or self.created_to)


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


def normalise_instant(value: str, field_name: str, *, end_of_day: bool = False) -> str:
    """An ISO-8601 date or date-time as stored (``2024-01-15T10:30:00.000Z``). A bare date is its
    first millisecond, or with ``end_of_day`` its last (so ``to=2024-01-15`` includes that day)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidRequest(
            f"Invalid field '{field_name}': expected an ISO-8601 date or date-time, e.g. 2024-01-15T10:30:00Z"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end_of_day and len(value) == len("2024-01-15"):
        moment += timedelta(days=1, milliseconds=-1)
    return clock.iso(moment)


class GalleryListing:
    def __init__(
        self,
        items: ItemsRepository | None = None,
        collections: CollectionsRepository | None = None,
        counters: FacetCounters | None = None,
    ) -> None:
        self.items = items or ItemsRepository()
        self.collections = collections or CollectionsRepository()
        self.counters = counters or FacetCounters(self.items.table, self.items.client)

    # --- sources ---------------------------------------------------------------------------
    def _index(self, team_id: str, index: str, attribute: str, value: str) -> Partition:
        return Partition(team_id, attribute, value, DATE_SORT, index=index)

    def _sources(self, team_id: str, wanted: ListingFilter, facets: Facets) -> list[Source]:
        """Every source that holds all matching items."""
        team = team_partition(team_id)
        if wanted.archived:
            return [Source(self._index(team_id, ARCHIVED_INDEX, "archivedPk", team), facets.archived)]
        sources = [Source(self._index(team_id, LIVE_INDEX, "livePk", team), facets.count(TOTAL))]
        if wanted.type:
            partition = self._index(team_id, TYPE_INDEX, "typePk", f"{team}#{wanted.type}")
            sources.append(Source(partition, facets.count(type_counter(wanted.type))))
        if wanted.favorite is not None:
            favorites = facets.count(FAVORITES)
            count = favorites if wanted.favorite else facets.count(TOTAL) - favorites
            partition = self._index(
                team_id, FAVORITE_INDEX, "favoritePk", f"{team}#{str(wanted.favorite).lower()}"
            )
            sources.append(Source(partition, count))
        if wanted.model:
            partition = self._index(team_id, MODEL_INDEX, "modelPk", f"{team}#{wanted.model}")
            sources.append(Source(partition, facets.count(model_counter(wanted.model))))
        for tag in wanted.tags:
            partition = Partition(team_id, "pk", tag_partition(team_id, tag), "sk", members=True)
            sources.append(Source(partition, facets.tags.get(tag, 0), cost_per_item=2))
        if wanted.collection:
            collection = self.collections.get(team_id, wanted.collection)
            partition = Partition(
                team_id,
                "pk",
                collection_partition(team_id, wanted.collection),
                "sk",
                table=self.collections.table,
                members=True,
            )
            sources.append(Source(partition, collection.item_count, cost_per_item=2))
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
        team = team_partition(team_id)
        archived = self._index(team_id, ARCHIVED_INDEX, "archivedPk", team)
        trashed = Partition(team_id, "trashPk", team, TRASH_SORT, index=TRASH_INDEX)
        for partition in (archived, trashed):
            for _, item in self.items.scan_partition(partition, Range(), chunk=500):
                yield item

    def trash(self, team_id: str, *, limit: int, page: int = 1, cursor: str | None = None) -> ListingPage:
        """Trashed items, newest deletion first; the trash counter gives the total."""
        partition = Partition(team_id, "trashPk", team_partition(team_id), TRASH_SORT, index=TRASH_INDEX)
        source = Source(partition, self.counters.read(team_id, []).trash)
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
