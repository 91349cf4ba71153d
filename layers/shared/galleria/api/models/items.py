"""Gallery items as their own team sees them: pages, details, changes, facets, the trash."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)

from galleria.api.models.common import CollectionRef, NoNul, RequestModel, ResponseModel
from galleria.api.models.public import PublicItemOut
from galleria.domain.items import ItemPatch, Visibility
from galleria.items.filters import ListingFilter, normalise_instant
from galleria.tags import normalise_tags

Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul]


class GenerationOut(ResponseModel):
    provider: str
    model_version: str
    request: dict[str, Any]
    seed_used: int | None
    provider_request_id: str | None
    reproducible: bool


class ItemOut(PublicItemOut):
    """An item as its own team sees it: the public fields and everything else."""

    seed: int | None
    file_size: int
    favorite: bool
    collections: list[str]
    visibility: str
    source: str
    parent_id: str | None
    rating: int
    archived: bool
    sha256: str
    generation: GenerationOut | None
    updated_at: str
    deleted_at: str | None
    purge_at: str | None


class ItemDetailOut(ItemOut):
    variants: list[ItemOut] = []
    parent: ItemOut | None = None


class GalleryPage(ResponseModel):
    items: list[ItemOut]
    total: int
    page: int
    page_size: int
    next_cursor: str | None
    # Present (false) only when a search or combined filter had more to count than one request
    # may read: ``total`` is then a lower bound.
    total_exact: bool = True

    @model_serializer(mode="wrap")
    def _omit_exact_total(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data: dict[str, Any] = handler(self)
        if data.get("totalExact", data.get("total_exact")) is True:
            data.pop("totalExact", None)
            data.pop("total_exact", None)
        return data


class GalleryQuery(BaseModel):
    """The gallery listing's query string: paging, order and filters (strings coerced, as a query
    string holds nothing else)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    limit: Annotated[int, Field(ge=1, le=100)] = 20
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    cursor: Annotated[str | None, Field(max_length=2000)] = None
    type: Literal["image", "video"] | None = None
    tags: Annotated[str | None, Field(max_length=2000)] = None
    collection: CollectionRef | None = None
    search: Annotated[str | None, Field(max_length=200)] = None
    model: Annotated[str | None, Field(max_length=100)] = None
    from_: Annotated[str | None, Field(alias="from", max_length=40)] = None
    to: Annotated[str | None, Field(max_length=40)] = None
    favorite: bool | None = None
    sort: Literal["newest", "oldest"] = "newest"
    min_rating: Annotated[int, Field(alias="minRating", ge=0, le=5)] = 0
    archived: bool = False

    def listing_filter(self) -> ListingFilter:
        tags = [tag for tag in self.tags.split(",") if tag.strip()] if self.tags else []
        return ListingFilter(
            type=self.type,
            favorite=self.favorite,
            model=self.model or None,
            tags=tuple(normalise_tags(tags)),
            collection=self.collection,
            search=self.search.strip() or None if self.search else None,
            min_rating=self.min_rating,
            archived=self.archived,
            created_from=normalise_instant(self.from_, "from") if self.from_ else None,
            created_to=normalise_instant(self.to, "to", end_of_day=True) if self.to else None,
        )

    @property
    def newest_first(self) -> bool:
        return self.sort == "newest"


class ItemPatchIn(RequestModel):
    tags: Annotated[list[str], Field(max_length=200)] | None = None
    title: Title | None = None
    favorite: bool | None = None
    visibility: Visibility | None = None
    rating: Annotated[int, Field(ge=0, le=5)] | None = None
    archived: bool | None = None

    def patch(self) -> ItemPatch:
        """The fields the request names (``title: null`` or ``""`` clears the title; tags normalised)."""
        fields = self.sent_fields(clearable=("title",))
        if "tags" in fields:
            fields["tags"] = normalise_tags(fields["tags"])
        if fields.get("title") == "":
            fields["title"] = None
        return ItemPatch(**fields)


class FavoriteOut(ResponseModel):
    id: str
    favorite: bool


class TrashedOut(ResponseModel):
    id: str
    deleted_at: str
    purge_at: str


class FacetsOut(ResponseModel):
    total: int
    types: dict[str, int]
    favorites: int
    archived: int
    trash: int
    models: dict[str, int]
    tags: dict[str, int]
    collections: dict[str, int]
