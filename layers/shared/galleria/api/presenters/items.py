"""Gallery items and the gallery's facet counts."""

from __future__ import annotations

from galleria.api.links import LinkBuilder
from galleria.api.models.items import FacetsOut, GenerationOut, ItemOut
from galleria.domain.items import Item
from galleria.items.service import GalleryFacets


def item_out(item: Item, links: LinkBuilder) -> ItemOut:
    return ItemOut(
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
