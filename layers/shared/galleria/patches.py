"""Typed partial updates. A patch field is left alone (``KEEP``), set to a value, or, where the
field may be empty, cleared (``None``): the three states a PATCH request can express."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any, Literal


class Keep(Enum):
    KEEP = "keep"


KEEP = Keep.KEEP
type Patched[T] = T | Literal[Keep.KEEP]


def changed_fields(patch: Any) -> dict[str, Any]:
    """The fields a patch dataclass sets, by name."""
    return {
        field.name: getattr(patch, field.name)
        for field in dataclasses.fields(patch)
        if getattr(patch, field.name) is not KEEP
    }
