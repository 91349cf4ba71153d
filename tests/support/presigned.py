"""Comparing answers that hold presigned URLs, which carry a fresh signature and date on every call."""

from __future__ import annotations

import re
from typing import Any


def without_signatures(value: Any) -> Any:
    """``value`` with every URL that has a query string cut to its scheme, host and path."""
    if isinstance(value, dict):
        return {key: without_signatures(entry) for key, entry in value.items()}
    if isinstance(value, list):
        return [without_signatures(entry) for entry in value]
    if isinstance(value, str) and re.match(r"^https?://", value) and "?" in value:
        return value.split("?", 1)[0]
    return value
