"""Absolute URLs handed out in responses: permanent media links and presigned tmp links."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from galleria import media_links
from galleria.config import get_settings
from galleria.domain.items import Item, Rendition
from galleria.storage import MediaStorage, trash_object_key


def base_url(event: APIGatewayProxyEventV2) -> str:
    """PUBLIC_BASE_URL when set, else the scheme and host the request came to."""
    configured = get_settings().public_base_url
    if configured:
        return configured.rstrip("/")
    scheme = event.headers.get("x-forwarded-proto") or "https"
    host = event.headers.get("host") or event.request_context.domain_name
    return f"{scheme}://{host}"


class LinkBuilder:
    def __init__(self, base: str, storage: MediaStorage | None = None) -> None:
        self.base = base
        self._storage = storage

    def media(self, team_id: str, item_id: str, rendition: Rendition) -> str:
        return self.base + media_links.media_path(team_id, item_id, rendition)

    def item_file(self, item: Item, rendition: Rendition) -> str | None:
        """Where the item's owner reads one of its files (None: no such file). A live item's is its
        permanent link; a trashed item's permanent links stop answering, so its owner gets a
        presigned URL (15 minutes) of the file's copy in the trash, to see what they may restore."""
        key = item.object_keys.get(rendition)
        return None if key is None else self._file(item, rendition, key)

    def item_original(self, item: Item) -> str:
        """``item_file`` of the original, which every item has."""
        return self._file(item, Rendition.ORIGINAL, item.object_keys[Rendition.ORIGINAL])

    def _file(self, item: Item, rendition: Rendition, key: str) -> str:
        if item.live:
            return self.media(item.team_id, item.id, rendition)
        if self._storage is None:
            self._storage = MediaStorage()
        return self._storage.presigned_get(trash_object_key(key))

    def item_thumbnail(self, item: Item) -> str | None:
        """The 512 px thumbnail (see item_file); None for a video (no frame is decoded)."""
        return self.item_file(item, Rendition.THUMB_512)

    def public_media(self, item: Item, rendition: Rendition) -> str | None:
        """A public feed link: names no team, works while the item is public (None: no such file)."""
        if rendition not in item.object_keys:
            return None
        return f"{self.base}/public/{item.id}/{rendition.value}"

    def share(self, token: str) -> str:
        return f"{self.base}/share/{token}"

    def share_image(self, token: str, item_id: str) -> str:
        return f"{self.base}/share/{token}/items/{item_id}/image"

    def share_download(self, token: str, item_id: str) -> str:
        return f"{self.base}/share/{token}/items/{item_id}/download"
