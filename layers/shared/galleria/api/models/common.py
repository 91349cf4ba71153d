"""What every resource's models build on: the base request and response models, the error answer,
and the ids that name items and collections."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

from galleria import ids
from galleria.errors import InvalidRequest

ItemId = Annotated[str, StringConstraints(pattern=ids.id_pattern(ids.ITEM))]
CollectionId = Annotated[str, StringConstraints(pattern=ids.id_pattern(ids.COLLECTION))]
# Ids that name something to look up (galleria.ids.reference_pattern): an unknown one answers 404.
ItemRef = Annotated[str, StringConstraints(pattern=ids.reference_pattern(ids.ITEM))]
CollectionRef = Annotated[str, StringConstraints(pattern=ids.reference_pattern(ids.COLLECTION))]
JobRef = Annotated[str, StringConstraints(pattern=ids.reference_pattern(ids.JOB))]
SessionRef = Annotated[str, StringConstraints(pattern=ids.reference_pattern(ids.SESSION))]


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

    def sent_fields(self, *, clearable: tuple[str, ...] = ()) -> dict[str, Any]:
        """The fields the request names, for a patch; null only where ``clearable`` allows it."""
        fields = {name: getattr(self, name) for name in self.model_fields_set}
        for name, value in fields.items():
            if value is None and name not in clearable:
                raise InvalidRequest(f"Invalid field '{to_camel(name)}': must not be null")
        return fields


class ResponseModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, defer_build=True)


class ErrorOut(ResponseModel):
    """Every error answer: a human sentence, a stable code, and the code's own fields (``required``
    and ``balance`` of insufficient_credits, ``requestId`` of internal_error, ...)."""

    model_config = ConfigDict(extra="allow")

    error: str
    code: str
