"""The trash: soft delete, restore and permanent delete, with their S3 objects.

Trashing copies every object to ``trash/`` (a new object, so the bucket's 30-day rule counts
from the deletion, not from the image's creation) before the record changes, and removes the
originals only after it did: a failure at any step leaves the image where it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from galleria import clock
from galleria.domain.items import Item
from galleria.domain.shares import ShareTarget
from galleria.items.changes import Change
from galleria.items.repository import ItemsRepository
from galleria.items.updates import ItemRefused, SideEffects
from galleria.shares.repository import SharesRepository
from galleria.storage import MediaStorage, StorageUnavailable, trash_object_key

TRASH_DAYS = 30
MOVE_FAILED = ItemRefused("storage_failed", "Moving the image's files failed; nothing changed, try again")
FILES_GONE = ItemRefused("gone", "The image's files have already left the trash; it cannot be restored")
_COPY_THREADS = 16


def purge_time(deleted_at: str) -> str:
    return clock.iso(datetime.fromisoformat(deleted_at.replace("Z", "+00:00")) + timedelta(days=TRASH_DAYS))


def to_trash(item: Item) -> Item:
    if not item.live:
        return item  # already there: deleting again changes nothing
    deleted_at = clock.now_iso()
    return item.model_copy(update={"deleted_at": deleted_at, "purge_at": purge_time(deleted_at)})


def from_trash(item: Item) -> Item:
    if item.live:
        return item
    return item.model_copy(update={"deleted_at": None, "purge_at": None})


def forever(item: Item) -> None:
    if item.live:
        raise ItemRefused("conflict", f"Gallery item {item.id} is not in the trash; delete it first")


def _moves(changes: list[Change], *, into_trash: bool) -> list[tuple[str, str]]:
    keys = [key for change in changes for key in change.item.object_keys.values()]
    return [(key, trash_object_key(key)) if into_trash else (trash_object_key(key), key) for key in keys]


class ObjectMove(SideEffects):
    """Copy an item's objects before its record changes, delete the old copies after."""

    def __init__(self, storage: MediaStorage, *, into_trash: bool) -> None:
        self.storage = storage
        self.into_trash = into_trash

    def before_write(self, changes: list[Change]) -> dict[str, ItemRefused]:
        def copy(change: Change) -> ItemRefused | None:
            """Why the item must not move: S3 failed, or a restore whose trash copies are gone.
            Trashing an item whose objects are already missing still goes ahead (nothing to keep)."""
            try:
                for source, target in _moves([change], into_trash=self.into_trash):
                    if not self.storage.copy(source, target) and not self.into_trash:
                        return FILES_GONE
            except StorageUnavailable:
                return MOVE_FAILED
            return None

        with ThreadPoolExecutor(_COPY_THREADS) as pool:
            refusals = dict(zip((change.item.id for change in changes), pool.map(copy, changes), strict=True))
        return {item_id: refusal for item_id, refusal in refusals.items() if refusal}

    def after_write(self, changes: list[Change]) -> None:
        self.storage.delete_many([source for source, _ in _moves(changes, into_trash=self.into_trash)])

    def abandon(self, changes: list[Change], current: Mapping[str, Item]) -> None:
        """Remove copies made for moves that did not happen, unless the item now lives where they
        are (another request made the same move): trash copies of an item in the trash, or
        originals of a live item, are its files."""
        stale = [
            change
            for change in changes
            if change.item.id not in current or current[change.item.id].live == self.into_trash
        ]
        self.storage.delete_many([target for _, target in _moves(stale, into_trash=self.into_trash)])


def trashing(storage: MediaStorage) -> SideEffects:
    return ObjectMove(storage, into_trash=True)


def restoring(storage: MediaStorage) -> SideEffects:
    return ObjectMove(storage, into_trash=False)


class Erasing(SideEffects):
    """A permanent delete removes the trash copies, ends the item's share link (revoked: its
    record stays for audit) and makes its variants roots, once the item's record is gone."""

    def __init__(
        self, storage: MediaStorage, items: ItemsRepository, shares: SharesRepository | None = None
    ) -> None:
        self.storage = storage
        self.items = items
        self.shares = shares or SharesRepository()

    def after_write(self, changes: list[Change]) -> None:
        self.storage.delete_many([target for _, target in _moves(changes, into_trash=True)])
        now = clock.now_iso()
        for change in changes:
            self.shares.revoke_target(change.item.team_id, ShareTarget.ITEM, change.item.id, now)
            self.items.detach_variants(change.item.team_id, change.item.id, now)
