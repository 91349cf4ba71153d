"""Opening share links without an account: which links answer, passwords, views and the images.

A link answers while it is active and its target exists: an unknown, revoked or suspended link
(its item in the trash) is 404, an expired or used-up one 410, so a visitor learns nothing more
than those two states. Images are reached only through the link (every asset request checks the
link, the password grant and, for downloads, ``allowDownload``) and leave as presigned URLs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from galleria import clock, media_links
from galleria.collection_records import CollectionsRepository
from galleria.domain.collections import Collection
from galleria.domain.items import Item, Rendition
from galleria.domain.shares import Share, ShareState, ShareTarget
from galleria.errors import Forbidden, GalleriaError, Gone, NotFound, RateLimited, Unauthorized
from galleria.items.filters import ListingFilter
from galleria.items.listing import GalleryListing
from galleria.items.repository import ItemsRepository
from galleria.shares.access import ShareAccess
from galleria.shares.passwords import verify_password
from galleria.shares.repository import SharesRepository
from galleria.shares.tokens import is_share_token
from galleria.storage import MediaStorage, extension_for, tmp_object_key

MAX_WRONG_PASSWORDS = 10  # per link and window; then 429 until the window ends
PASSWORD_WINDOW_SECONDS = 15 * 60
COLLECTION_PAGE_SIZE = 60
_METADATA_FREE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp"}


@dataclass(frozen=True)
class OpenLink:
    """A link that answers, with what it points at (the item, or the collection)."""

    share: Share
    item: Item | None = None
    collection: Collection | None = None


@dataclass(frozen=True)
class LinkPage:
    """What one view of a link shows: its items (a collection's, a page at a time)."""

    link: OpenLink
    items: list[Item]
    next_cursor: str | None = None


class PasswordRequired(Unauthorized):
    code = "password_required"


class ShareViewer:
    def __init__(
        self,
        shares: SharesRepository | None = None,
        items: ItemsRepository | None = None,
        collections: CollectionsRepository | None = None,
        storage: MediaStorage | None = None,
        access: ShareAccess | None = None,
    ) -> None:
        self.shares = shares or SharesRepository()
        self.items = items or ItemsRepository()
        self.collections = collections or CollectionsRepository()
        self.storage = storage or MediaStorage()
        self.access = access or ShareAccess(media_links.signing_key)

    # --- the link ------------------------------------------------------------------------
    def open(self, token: str) -> OpenLink:
        """The link and its target; NotFound or Gone when it does not answer."""
        share = self.shares.find(token) if is_share_token(token) else None
        if share is None:
            raise _not_found()
        _check_state(share, clock.now_iso())
        if share.target_type is ShareTarget.ITEM:
            item = self.items.find(share.team_id, share.target_id)
            if item is None or not item.live:  # in the trash: suspended until restored
                raise _not_found()
            return OpenLink(share, item=item)
        found = self.collections.find_many(share.team_id, [share.target_id])
        if share.target_id not in found:
            raise _not_found()
        return OpenLink(share, collection=found[share.target_id])

    def require_access(self, link: OpenLink, grant: str | None) -> None:
        """PasswordRequired unless the link has no password or ``grant`` proves it was entered."""
        share = link.share
        if share.password_hash is None:
            return
        if grant is None or not self.access.verify(share.token, share.password_hash, grant, clock.now()):
            raise PasswordRequired("This link is password protected")

    def unlock(self, link: OpenLink, password: str) -> str:
        """Check a password and return an access grant for the cookie. At most
        MAX_WRONG_PASSWORDS wrong ones per window and link (then 429, right or wrong)."""
        share = link.share
        if share.password_hash is None:
            return ""
        now = clock.now()
        window = int(now.timestamp()) // PASSWORD_WINDOW_SECONDS
        window_end = (window + 1) * PASSWORD_WINDOW_SECONDS
        if not self.shares.reserve_password_attempt(
            share.token, window, limit=MAX_WRONG_PASSWORDS, expires_at=window_end + PASSWORD_WINDOW_SECONDS
        ):
            raise RateLimited(
                "Too many wrong passwords for this link; try again later",
                retry_after=max(1, math.ceil(window_end - now.timestamp())),
            )
        if not verify_password(password, share.password_hash):
            self.shares.record_failed_password(share.token)
            raise Unauthorized("Wrong password", code="invalid_password")
        self.shares.release_password_attempt(share.token, window)
        return self.access.grant(share.token, share.password_hash, now)

    # --- what a view shows ---------------------------------------------------------------
    def view(self, link: OpenLink, *, cursor: str | None = None) -> LinkPage:
        """One page view, counted in ``views`` atomically and only while the link still answers
        (maxViews cannot be overrun). A collection's further pages (``cursor``) are views too."""
        share = link.share
        counted = self.shares.record_view(share.token, clock.now_iso())
        if counted is None:
            fresh = self.shares.find(share.token)
            if fresh is not None:
                _check_state(fresh, clock.now_iso())
            raise _not_found()
        link = OpenLink(counted, item=link.item, collection=link.collection)
        if link.item is not None:
            return LinkPage(link, [link.item])
        listing = GalleryListing(items=self.items, collections=self.collections).page(
            share.team_id,
            ListingFilter(collection=share.target_id),
            limit=COLLECTION_PAGE_SIZE,
            cursor=cursor,
        )
        return LinkPage(link, listing.items, listing.next_cursor)

    def image_url(self, link: OpenLink, item_id: str) -> str:
        """A presigned URL of the image for the page: the 512 px thumbnail (a video: itself)."""
        item = self._shown_item(link, item_id)
        rendition = Rendition.THUMB_512 if Rendition.THUMB_512 in item.object_keys else Rendition.ORIGINAL
        return self.storage.presigned_get(item.object_keys[rendition])

    def download_url(self, link: OpenLink, item_id: str) -> str:
        """A presigned URL of the original, only on a link that allows downloads. Without
        showMetadata the file is a copy with EXIF, XMP, comments and text chunks removed."""
        item = self._shown_item(link, item_id)  # an image not under the link is 404 either way
        if not link.share.allow_download:
            raise Forbidden("This link does not allow downloads", code="download_not_allowed")
        key = item.object_keys[Rendition.ORIGINAL]
        filename = f"{item.id}.{extension_for(item.mime_type)}"
        if not link.share.show_metadata and item.mime_type in _METADATA_FREE_FORMATS:
            key, filename = self._metadata_free_copy(item, key)
        return self.storage.presigned_get(key, download_name=filename)

    # --- helpers -------------------------------------------------------------------------
    def _shown_item(self, link: OpenLink, item_id: str) -> Item:
        """An item the link shows: its own item, or a listed member of its collection."""
        if link.item is not None:
            if item_id != link.item.id:
                raise NotFound("No such image under this link")
            return link.item
        item = self.items.find(link.share.team_id, item_id)
        if item is None or not item.listed or link.share.target_id not in item.collections:
            raise NotFound("No such image under this link")
        return item

    def _metadata_free_copy(self, item: Item, key: str) -> tuple[str, str]:
        """The original re-encoded without metadata (ICC kept: colours, not facts about the user),
        made once per item version and kept under tmp/ for a day, so repeated downloads of a
        link cost a HEAD, not a conversion."""
        fmt = _METADATA_FREE_FORMATS[item.mime_type]
        extension = extension_for(item.mime_type)
        parked = tmp_object_key(item.team_id, "shared", f"{item.id}-v{item.version}.{extension}")
        if not self.storage.exists(parked):
            from galleria.imaging.convert import convert_image  # Pillow only on this path

            data, content_type = convert_image(self.storage.get(key), fmt, strip_metadata=True)  # type: ignore[arg-type]
            self.storage.put(parked, data, content_type)
        return parked, f"{item.id}.{extension}"


def _check_state(share: Share, now: str) -> None:
    state = share.state(now)
    if state is ShareState.REVOKED:
        raise _not_found()
    if state is ShareState.EXPIRED:
        raise Gone("This link has expired")


def _not_found() -> GalleriaError:
    return NotFound("No such link")
