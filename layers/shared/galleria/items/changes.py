"""What one item change does to everything kept in step with items: facet counters, tag and
collection memberships, and the team's storage usage.

A change is a pair (before, after): None before is a creation, None after a permanent delete.
Counters and memberships only follow *listed* items (live, not archived), so the counts always
equal what a listing with that single filter shows; ``archived`` and ``trash`` count the rest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from galleria.domain.items import Item

TOTAL = "total"
ARCHIVED = "archived"
TRASH = "trash"
FAVORITES = "favorites"


def type_counter(item_type: str) -> str:
    return f"type#{item_type}"


def model_counter(model: str) -> str:
    return f"model#{model}"


@dataclass(frozen=True)
class Change:
    before: Item | None
    after: Item | None

    @property
    def item(self) -> Item:
        found = self.after or self.before
        assert found is not None, "a change has an item on at least one side"
        return found


@dataclass
class Effects:
    """The sum of what a group of changes does; merged so a transaction touches each record once."""

    counters: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    collections: Counter[str] = field(default_factory=Counter)
    storage_bytes: int = 0
    trash_bytes: int = 0
    item_count: int = 0

    def add(self, other: Effects) -> None:
        self.counters.update(other.counters)
        self.tags.update(other.tags)
        self.collections.update(other.collections)
        self.storage_bytes += other.storage_bytes
        self.trash_bytes += other.trash_bytes
        self.item_count += other.item_count

    @property
    def touches_usage(self) -> bool:
        return bool(self.storage_bytes or self.trash_bytes or self.item_count)


def _facets(item: Item | None) -> set[str]:
    if item is None:
        return set()
    if not item.live:
        return {TRASH}
    if item.archived:
        return {ARCHIVED}
    facets = {TOTAL, type_counter(item.type), model_counter(item.model)}
    if item.favorite:
        facets.add(FAVORITES)
    return facets


def listed_tags(item: Item | None) -> set[str]:
    return set(item.tags) if item is not None and item.listed else set()


def listed_collections(item: Item | None) -> set[str]:
    return set(item.collections) if item is not None and item.listed else set()


def _difference(after: set[str], before: set[str]) -> Counter[str]:
    delta: Counter[str] = Counter()
    for name in after - before:
        delta[name] += 1
    for name in before - after:
        delta[name] -= 1
    return delta


def _trash_bytes(item: Item | None) -> int:
    return item.storage_bytes if item is not None and not item.live else 0


def effects_of(change: Change) -> Effects:
    before, after = change.before, change.after
    return Effects(
        counters=_difference(_facets(after), _facets(before)),
        tags=_difference(listed_tags(after), listed_tags(before)),
        collections=_difference(listed_collections(after), listed_collections(before)),
        storage_bytes=(after.storage_bytes if after else 0) - (before.storage_bytes if before else 0),
        trash_bytes=_trash_bytes(after) - _trash_bytes(before),
        item_count=(after is not None) - (before is not None),
    )
