"""What a gallery listing asks for: the filters a request combines, and the dates it bounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from galleria import clock
from galleria.domain.items import Item
from galleria.errors import InvalidRequest


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
