"""Gallery items as their own team sees them: pages, details, changes, facets, the trash."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, StringConstraints, model_serializer

from galleria.api.models.common import NoNul, RequestModel, ResponseModel
from galleria.api.models.public import PublicItemOut
from galleria.errors import InvalidRequest
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


class ItemPatchIn(RequestModel):
    tags: Annotated[list[str], Field(max_length=200)] | None = None
    title: Title | None = None
    favorite: bool | None = None
    visibility: Literal["private", "public"] | None = None
    rating: Annotated[int, Field(ge=0, le=5)] | None = None
    archived: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The fields the request names (``title: null`` clears the title; tags normalised)."""
        fields = {name: getattr(self, name) for name in self.model_fields_set}
        for name in ("tags", "favorite", "visibility", "rating", "archived"):
            if name in fields and fields[name] is None:
                raise InvalidRequest(f"Invalid field '{name}': must not be null")
        if "tags" in fields:
            fields["tags"] = normalise_tags(fields["tags"])
        if fields.get("title") == "":
            fields["title"] = None
        return fields


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
