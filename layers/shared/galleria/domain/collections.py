"""Collections: named sets of gallery items; an item can be in many."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from galleria.patches import KEEP, Patched

MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 1000
MAX_COLLECTIONS_PER_ITEM = 20  # keeps an item's every write inside one transaction


class Collection(BaseModel):
    id: str
    team_id: str
    name: str
    description: str | None = None
    item_count: int = 0  # listed items (live, not archived), kept in the items' transactions
    cover_item_id: str | None = None  # the newest listed item
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class CollectionPatch:
    """What a PATCH of a collection changes (``description=None`` clears the description)."""

    name: Patched[str] = KEEP
    description: Patched[str | None] = KEEP
