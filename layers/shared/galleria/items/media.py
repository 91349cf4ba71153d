"""Resolving a permanent media link to a short-lived presigned URL."""

from __future__ import annotations

from galleria import media_links
from galleria.domain.items import Rendition
from galleria.errors import NotFound
from galleria.items.repository import ItemsRepository
from galleria.storage import MediaStorage

# The source image an item was made from is the user's own upload: it has no public link.
LINKED_RENDITIONS = frozenset({Rendition.ORIGINAL, Rendition.THUMB_256, Rendition.THUMB_512})


def resolve_media_link(
    team_id: str,
    item_id: str,
    rendition: str,
    signature: str,
    *,
    items: ItemsRepository | None = None,
    storage: MediaStorage | None = None,
) -> str:
    """The presigned URL behind a valid link to a live item; NotFound for anything else."""
    not_found = NotFound("No such media")
    try:
        wanted = Rendition(rendition)
    except ValueError:
        raise not_found from None
    if wanted not in LINKED_RENDITIONS or not media_links.verify(team_id, item_id, wanted, signature):
        raise not_found
    item = (items or ItemsRepository()).find(team_id, item_id)
    if item is None or not item.live or wanted not in item.object_keys:
        raise not_found
    return (storage or MediaStorage()).presigned_get(item.object_keys[wanted])


def resolve_public_media(
    item_id: str,
    rendition: str,
    *,
    items: ItemsRepository | None = None,
    storage: MediaStorage | None = None,
) -> str:
    """The presigned URL behind a public feed link (``/public/{itemId}/{rendition}``): no team
    in the URL, and only while the item is listed and public (a private one answers 404)."""
    not_found = NotFound("No such public image")
    try:
        wanted = Rendition(rendition)
    except ValueError:
        raise not_found from None
    if wanted not in LINKED_RENDITIONS:
        raise not_found
    item = (items or ItemsRepository()).find_public(item_id)
    if item is None or wanted not in item.object_keys:
        raise not_found
    return (storage or MediaStorage()).presigned_get(item.object_keys[wanted])
