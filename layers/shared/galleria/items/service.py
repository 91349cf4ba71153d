"""The logic behind the gallery item routes."""

from __future__ import annotations

from dataclasses import dataclass

from galleria.accounts.repository import AccountsRepository
from galleria.collection_records import CollectionsRepository
from galleria.domain.items import Item, ItemPatch, Rendition
from galleria.errors import (
    Conflict,
    GalleriaError,
    Gone,
    InvalidRequest,
    NotFound,
    PlanUpgradeRequired,
    ServiceUnavailable,
)
from galleria.items.facet_counters import FacetCounters, Facets
from galleria.items.filters import ListingFilter
from galleria.items.listing import GalleryListing, ListingPage
from galleria.items.organise import patching, toggle_favorite
from galleria.items.repository import ItemsRepository
from galleria.items.trash import Erasing, forever, from_trash, restoring, to_trash, trashing
from galleria.items.updates import ItemRefused, ItemUpdater, Mutation, Outcome, SideEffects
from galleria.items.writer import ItemWriter
from galleria.patches import KEEP
from galleria.storage import MediaStorage, extension_for, tmp_object_key

# Lambda answers at most 6 MB, base64 adds a third: larger files go out as a presigned redirect.
MAX_INLINE_DOWNLOAD_BYTES = 4 * 1024 * 1024
DOWNLOAD_FORMATS = ("png", "jpeg", "webp", "original")
_MAX_COLLECTIONS_READ = 1000


@dataclass(frozen=True)
class Download:
    """Either the bytes (with their type and file name) or a URL to redirect to."""

    filename: str
    content_type: str
    data: bytes | None = None
    redirect_url: str | None = None


@dataclass(frozen=True)
class GalleryFacets:
    counts: Facets
    collections: dict[str, int]


def refusal_error(refusal: ItemRefused) -> GalleriaError:
    """The HTTP error for one item's refusal, when a route changes a single item."""
    if refusal.code == "not_found":
        return NotFound(refusal.message)
    if refusal.code == "conflict":
        return Conflict(refusal.message)
    if refusal.code == "storage_failed":
        return ServiceUnavailable(refusal.message, code="storage_failed")
    if refusal.code == "gone":
        return Gone(refusal.message)
    return InvalidRequest(refusal.message, code=refusal.code)


MAX_VARIANTS_SHOWN = 50


@dataclass(frozen=True)
class ItemFamily:
    item: Item
    parent: Item | None
    variants: list[Item]  # newest first


class GalleryService:
    def __init__(
        self,
        items: ItemsRepository | None = None,
        accounts: AccountsRepository | None = None,
        storage: MediaStorage | None = None,
        collections: CollectionsRepository | None = None,
    ) -> None:
        self.items = items or ItemsRepository()
        self.accounts = accounts or AccountsRepository()
        self.storage = storage or MediaStorage()
        self.collections = collections or CollectionsRepository()
        counters = FacetCounters(self.items.table)
        writer = ItemWriter(self.items.table, self.collections, self.accounts, counters)
        self.updater = ItemUpdater(self.items, writer)
        self.listing = GalleryListing(self.items, self.collections, counters)

    # --- reading ---------------------------------------------------------------------------
    def list(
        self,
        team_id: str,
        wanted: ListingFilter,
        *,
        limit: int,
        page: int,
        cursor: str | None,
        newest_first: bool,
    ) -> ListingPage:
        return self.listing.page(
            team_id, wanted, limit=limit, page=page, cursor=cursor, newest_first=newest_first
        )

    def trash_page(self, team_id: str, *, limit: int, page: int, cursor: str | None) -> ListingPage:
        return self.listing.trash(team_id, limit=limit, page=page, cursor=cursor)

    def facets(self, team_id: str) -> GalleryFacets:
        counts = self.listing.counters.read(team_id)
        page = self.collections.page(team_id, limit=_MAX_COLLECTIONS_READ, cursor=None)
        collections = {collection.id: collection.item_count for collection in page.collections}
        return GalleryFacets(counts=counts, collections=collections)

    def family(self, team_id: str, item_id: str) -> ItemFamily:
        """The item with its parent (also when that is in the trash) and its live variants."""
        item = self.items.get(team_id, item_id)
        parent = self.items.find(team_id, item.parent_id) if item.parent_id else None
        variants = [v for v in self.items.variants(team_id, item_id, limit=MAX_VARIANTS_SHOWN) if v.live]
        return ItemFamily(item=item, parent=parent, variants=variants)

    # --- changing one item -----------------------------------------------------------------
    def _change_one(
        self, team_id: str, item_id: str, mutate: Mutation, side_effects: SideEffects | None = None
    ) -> Outcome:
        outcome = self.updater.apply(team_id, [item_id], mutate, side_effects)
        if item_id in outcome.failed:
            raise refusal_error(outcome.failed[item_id])
        return outcome

    def update(self, team_id: str, item_id: str, patch: ItemPatch) -> Item:
        if patch.visibility is not KEEP:
            team = self.accounts.get_team(team_id)
            if patch.visibility != team.limits.default_visibility and not team.limits.item_visibility:
                raise PlanUpgradeRequired(
                    f"On the {team.plan.value} plan every image is {team.limits.default_visibility}; "
                    "paid plans may set visibility per item"
                )
        return self._change_one(team_id, item_id, patching(patch)).items[0]

    def toggle_favorite(self, team_id: str, item_id: str) -> Item:
        return self._change_one(team_id, item_id, toggle_favorite).items[0]

    def trash(self, team_id: str, item_id: str) -> Item:
        return self._change_one(team_id, item_id, to_trash, trashing(self.storage)).items[0]

    def restore(self, team_id: str, item_id: str) -> Item:
        return self._change_one(team_id, item_id, from_trash, restoring(self.storage)).items[0]

    def delete_forever(self, team_id: str, item_id: str) -> None:
        self._change_one(team_id, item_id, forever, Erasing(self.storage, self.items))

    # --- files -----------------------------------------------------------------------------
    def download(self, team_id: str, item_id: str, fmt: str | None) -> Download:
        """The file as ``fmt`` (default: PNG for images, the original file for videos)."""
        item = self.items.get(team_id, item_id)
        if not item.live:
            raise NotFound(f"Gallery item {item_id} is in the trash; restore it to download it")
        if item.type == "video" and fmt not in (None, "original"):
            raise InvalidRequest(f"Gallery item {item_id} is a video; it downloads as format=original")
        fmt = fmt or ("png" if item.type == "image" else "original")
        key = item.object_keys[Rendition.ORIGINAL]
        if fmt == "original":
            filename = f"{item.id}.{extension_for(item.mime_type)}"
            if item.file_size > MAX_INLINE_DOWNLOAD_BYTES:  # no need to read what goes out as a link
                return self._redirect(key, filename, item.mime_type)
            return Download(filename=filename, content_type=item.mime_type, data=self.storage.get(key))

        from galleria.imaging.convert import convert_image

        data, content_type = convert_image(self.storage.get(key), fmt)  # type: ignore[arg-type]
        filename = f"{item.id}.{extension_for(content_type)}"
        if len(data) <= MAX_INLINE_DOWNLOAD_BYTES:
            return Download(filename=filename, content_type=content_type, data=data)
        parked = tmp_object_key(team_id, "downloads", filename)
        self.storage.put(parked, data, content_type)
        return self._redirect(parked, filename, content_type)

    def _redirect(self, key: str, filename: str, content_type: str) -> Download:
        url = self.storage.presigned_get(key, download_name=filename)
        return Download(filename=filename, content_type=content_type, redirect_url=url)
