"""Operations on many items at once (bulk routes, collection membership, exports): the ids sent,
and the ids that failed, each with its own code."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from galleria.api.models.common import CollectionRef, RequestModel, ResponseModel
from galleria.tags import normalise_tags

# Ids in bulk bodies: checked one by one (a malformed id fails alone, as not_found).
BulkItemId = Annotated[str, StringConstraints(min_length=1, max_length=100)]
# No upper bound here: each operation answers too_many_ids past its own limit (200, or 500 for exports).
BulkItemIds = Annotated[list[BulkItemId], Field(min_length=1)]


class ItemIdsIn(RequestModel):
    item_ids: BulkItemIds


class FailedIdOut(ResponseModel):
    id: str
    code: str


class BulkTagIn(RequestModel):
    item_ids: BulkItemIds
    tags: Annotated[list[str], Field(min_length=1, max_length=200)]
    mode: Literal["add", "remove", "replace"] = "add"

    def normalised_tags(self) -> list[str]:
        return normalise_tags(self.tags)


class BulkCollectIn(RequestModel):
    item_ids: BulkItemIds
    collection_id: CollectionRef


class BulkOut(ResponseModel):
    succeeded: list[str]
    failed: list[FailedIdOut]
