"""What every resource's models build on: the base request and response models, the error answer,
and the ids that name items and collections."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

from galleria import ids

ItemId = Annotated[str, StringConstraints(pattern=ids.id_pattern(ids.ITEM))]
CollectionId = Annotated[str, StringConstraints(pattern=ids.id_pattern(ids.COLLECTION))]
# Ids in paths: any plain id of the right kind is looked up (an unknown one answers 404), while
# path characters, quotes and the like are refused before any lookup.
ItemRef = Annotated[str, StringConstraints(pattern=r"^gal_[A-Za-z0-9]{1,64}$")]
CollectionRef = Annotated[str, StringConstraints(pattern=r"^col_[A-Za-z0-9]{1,64}$")]


def _no_nul(value: str) -> str:
    """A NUL is never what a user meant, and it breaks C-string consumers downstream."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


NoNul = AfterValidator(_no_nul)


class RequestModel(BaseModel):
    """Requests: camelCase names, unknown fields rejected, no silent type coercion."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, extra="forbid", strict=True, defer_build=True
    )


class ResponseModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, defer_build=True)


class ErrorOut(ResponseModel):
    """Every error answer: a human sentence, a stable code, and the code's own fields (``required``
    and ``balance`` of insufficient_credits, ``requestId`` of internal_error, ...)."""

    model_config = ConfigDict(extra="allow")

    error: str
    code: str
