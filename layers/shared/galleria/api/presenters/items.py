"""Gallery items, pages of them, and the gallery's facet counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from galleria.api.links import LinkBuilder
from galleria.api.models.items import (
    FacetsOut,
    FavoriteOut,
    GalleryPage,
    GenerationOut,
    ItemDetailOut,
    ItemOut,
    TrashedOut,
)
from galleria.domain.items import Item
from galleria.items.listing import ListingPage
from galleria.items.service import GalleryFacets, ItemFamily


def _item_fields(item: Item, links: LinkBuilder) -> dict[str, Any]:
    return dict(
        **item.model_dump(
            include={
                "id",
                "type",
                "prompt",
                "title",
                "model",
                "style_preset",
                "aspect_ratio",
                "seed",
                "width",
                "height",
                "mime_type",
                "file_size",
                "tags",
                "favorite",
                "collections",
                "visibility",
                "source",
                "parent_id",
                "rating",
                "archived",
                "sha256",
                "created_at",
                "updated_at",
                "deleted_at",
                "purge_at",
            }
        ),
        url=links.item_original(item),
        thumbnail_url=links.item_thumbnail(item),
        generation=GenerationOut(**item.generation.model_dump()) if item.generation else None,
    )


def item_out(item: Item, links: LinkBuilder) -> ItemOut:
    return ItemOut(**_item_fields(item, links))


def item_detail_out(
    item: Item, links: LinkBuilder, *, parent: Item | None = None, variants: Sequence[Item] = ()
) -> ItemDetailOut:
    return ItemDetailOut(
        **_item_fields(item, links),
        variants=[item_out(variant, links) for variant in variants],
        parent=item_out(parent, links) if parent else None,
    )


def family_out(family: ItemFamily, links: LinkBuilder) -> ItemDetailOut:
    return item_detail_out(family.item, links, parent=family.parent, variants=family.variants)


def gallery_page_out(listing: ListingPage, links: LinkBuilder, *, page: int, limit: int) -> GalleryPage:
    return GalleryPage(
        items=[item_out(item, links) for item in listing.items],
        total=listing.total,
        page=page,
        page_size=limit,
        next_cursor=listing.next_cursor,
        total_exact=listing.total_exact,
    )


def favorite_out(item: Item) -> FavoriteOut:
    return FavoriteOut(id=item.id, favorite=item.favorite)


def trashed_out(item: Item) -> TrashedOut:
    return TrashedOut(id=item.id, deleted_at=item.deleted_at or "", purge_at=item.purge_at or "")


def facets_out(facets: GalleryFacets) -> FacetsOut:
    counts = facets.counts
    return FacetsOut(
        total=counts.total,
        types=counts.types,
        favorites=counts.favorites,
        archived=counts.archived,
        trash=counts.trash,
        models=counts.models,
        tags=counts.tags,
        collections=facets.collections,
    )
