"""Collections and their membership."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from galleria.api.models.bulk import FailedIdOut
from galleria.api.models.common import NoNul, RequestModel, ResponseModel
from galleria.domain.collections import CollectionPatch

CollectionName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class CollectionIn(RequestModel):
    name: CollectionName
    description: Description | None = None


class CollectionPatchIn(RequestModel):
    name: CollectionName | None = None
    description: Description | None = None

    def patch(self) -> CollectionPatch:
        return CollectionPatch(**self.sent_fields(clearable=("description",)))


class CollectionOut(ResponseModel):
    id: str
    name: str
    description: str | None
    item_count: int
    cover_url: str | None
    created_at: str
    updated_at: str


class CollectionList(ResponseModel):
    collections: list[CollectionOut]
    next_cursor: str | None


class CollectionItemsAdded(ResponseModel):
    added: list[str]
    failed: list[FailedIdOut]
    collection: CollectionOut


class CollectionItemsRemoved(ResponseModel):
    removed: list[str]
    failed: list[FailedIdOut]
    collection: CollectionOut
