"""Collections, with their cover's thumbnail link."""

from __future__ import annotations

from galleria.api.links import LinkBuilder
from galleria.api.models.collections import CollectionOut
from galleria.domain.collections import Collection
from galleria.domain.items import Rendition


def collection_out(collection: Collection, links: LinkBuilder) -> CollectionOut:
    cover = collection.cover_item_id
    return CollectionOut(
        id=collection.id,
        name=collection.name,
        description=collection.description,
        item_count=collection.item_count,
        cover_url=links.media(collection.team_id, cover, Rendition.THUMB_512) if cover else None,
        created_at=collection.created_at,
        updated_at=collection.updated_at,
    )
