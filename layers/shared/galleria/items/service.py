"""The logic behind the gallery item routes."""

from __future__ import annotations

from dataclasses import dataclass

from galleria.accounts.repository import AccountsRepository
from galleria.domain.items import Item, Rendition
from galleria.errors import InvalidRequest
from galleria.items.repository import ItemsRepository, Page
from galleria.storage import MediaStorage, extension_for, tmp_object_key

MAX_PAGE_WITHOUT_CURSOR = 500
# Lambda answers at most 6 MB, base64 adds a third: larger files go out as a presigned redirect.
MAX_INLINE_DOWNLOAD_BYTES = 4 * 1024 * 1024
DOWNLOAD_FORMATS = ("png", "jpeg", "webp", "original")


@dataclass(frozen=True)
class Listing:
    page: Page
    total: int


@dataclass(frozen=True)
class Download:
    """Either the bytes (with their type and file name) or a URL to redirect to."""

    filename: str
    content_type: str
    data: bytes | None = None
    redirect_url: str | None = None


class GalleryService:
    def __init__(
        self,
        items: ItemsRepository | None = None,
        accounts: AccountsRepository | None = None,
        storage: MediaStorage | None = None,
    ) -> None:
        self.items = items or ItemsRepository()
        self.accounts = accounts or AccountsRepository()
        self.storage = storage or MediaStorage()

    def list(self, team_id: str, *, limit: int, page: int, cursor: str | None) -> Listing:
        if cursor is None and page > MAX_PAGE_WITHOUT_CURSOR:
            raise InvalidRequest(
                f"Invalid field 'page': at most {MAX_PAGE_WITHOUT_CURSOR}; use cursor to go further"
            )
        skip = 0 if cursor else (page - 1) * limit
        result = self.items.list_live(team_id, limit=limit, cursor=cursor, skip=skip)
        total = self.accounts.get_team(team_id).item_count
        return Listing(page=result, total=total)

    def get(self, team_id: str, item_id: str) -> Item:
        return self.items.get(team_id, item_id)

    def download(self, team_id: str, item_id: str, fmt: str) -> Download:
        item = self.items.get(team_id, item_id)
        original = self.storage.get(item.object_keys[Rendition.ORIGINAL])
        if fmt == "original":
            data, content_type = original, item.mime_type
        else:
            from galleria.imaging.convert import convert_image

            data, content_type = convert_image(original, fmt)  # type: ignore[arg-type]
        extension = extension_for(content_type)
        filename = f"{item.id}.{extension}"
        if len(data) <= MAX_INLINE_DOWNLOAD_BYTES:
            return Download(filename=filename, content_type=content_type, data=data)
        key = item.object_keys[Rendition.ORIGINAL]
        if fmt != "original":
            key = tmp_object_key(team_id, "downloads", f"{item.id}.{extension}")
            self.storage.put(key, data, content_type)
        return Download(
            filename=filename,
            content_type=content_type,
            redirect_url=self.storage.presigned_get(key, download_name=filename),
        )
