"""The logic behind the collection routes: the collections themselves and their membership."""

from __future__ import annotations

from dataclasses import dataclass

from galleria import clock, ids
from galleria.collection_records import CollectionPage, CollectionsRepository
from galleria.domain.collections import Collection, CollectionPatch
from galleria.domain.shares import ShareTarget
from galleria.items.listing import GalleryListing
from galleria.items.organise import joining, leaving
from galleria.items.repository import ItemsRepository
from galleria.items.updates import ItemRefused, ItemUpdater, Outcome
from galleria.items.writer import ItemWriter
from galleria.patches import changed_fields
from galleria.shares.repository import SharesRepository

_MEMBERS_PER_BATCH = 200


@dataclass(frozen=True)
class MembershipResult:
    changed: list[str]
    failed: dict[str, ItemRefused]
    collection: Collection


class CollectionsService:
    def __init__(
        self,
        collections: CollectionsRepository | None = None,
        items: ItemsRepository | None = None,
        shares: SharesRepository | None = None,
    ) -> None:
        self.collections = collections or CollectionsRepository()
        self.items = items or ItemsRepository()
        self.shares = shares or SharesRepository()
        self.updater = ItemUpdater(self.items, ItemWriter(self.items.table, self.collections))

    def create(self, team_id: str, name: str, description: str | None) -> Collection:
        now = clock.now_iso()
        collection = Collection(
            id=ids.new_id(ids.COLLECTION),
            team_id=team_id,
            name=name,
            description=description,
            created_at=now,
            updated_at=now,
        )
        self.collections.create(collection)
        return collection

    def page(self, team_id: str, *, limit: int, cursor: str | None) -> CollectionPage:
        return self.collections.page(team_id, limit=limit, cursor=cursor)

    def get(self, team_id: str, collection_id: str) -> Collection:
        return self.collections.get(team_id, collection_id)

    def update(self, team_id: str, collection_id: str, patch: CollectionPatch) -> Collection:
        current = self.collections.get(team_id, collection_id)
        updated = current.model_copy(update={**changed_fields(patch), "updated_at": clock.now_iso()})
        self.collections.update_details(updated)
        return updated

    def delete(self, team_id: str, collection_id: str) -> None:
        """Delete the collection, never its items: every member leaves it first — the listed ones
        found through their memberships, archived and trashed ones by reading those (which have
        no memberships). Its share link ends (revoked, kept for audit)."""
        self.collections.get(team_id, collection_id)
        while members := self.collections.member_ids(team_id, collection_id, limit=_MEMBERS_PER_BATCH):
            self.updater.apply(team_id, members, leaving(collection_id))
        listing = GalleryListing(self.items, self.collections)
        hidden = [item.id for item in listing.hidden_items(team_id) if collection_id in item.collections]
        for start in range(0, len(hidden), _MEMBERS_PER_BATCH):
            self.updater.apply(team_id, hidden[start : start + _MEMBERS_PER_BATCH], leaving(collection_id))
        self.collections.delete(team_id, collection_id)
        self.shares.revoke_target(team_id, ShareTarget.COLLECTION, collection_id, clock.now_iso())

    def _members(
        self, team_id: str, collection_id: str, item_ids: list[str], *, adding: bool
    ) -> MembershipResult:
        self.collections.get(team_id, collection_id)
        mutate = joining(collection_id) if adding else leaving(collection_id)
        outcome: Outcome = self.updater.apply(team_id, item_ids, mutate)
        return MembershipResult(
            changed=[change.item.id for change in outcome.changes],
            failed=outcome.failed,
            collection=self.collections.get(team_id, collection_id),
        )

    def add_items(self, team_id: str, collection_id: str, item_ids: list[str]) -> MembershipResult:
        return self._members(team_id, collection_id, item_ids, adding=True)

    def remove_items(self, team_id: str, collection_id: str, item_ids: list[str]) -> MembershipResult:
        return self._members(team_id, collection_id, item_ids, adding=False)
