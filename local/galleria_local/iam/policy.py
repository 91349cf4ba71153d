"""Identity-policy evaluation as IAM does it: an explicit Deny wins, else an Allow must match.

Actions match case-insensitively and resources case-sensitively, both with `*` and `?` wildcards;
NotAction and NotResource are supported. Conditions are not evaluated (a request carries none of their
keys here), so a statement with a Condition never allows and always denies: the local stack errs on the
side of refusing what AWS might allow, never the reverse.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Permission:
    """One thing a request needs: an IAM action on a resource ARN (`*` when the action has none)."""

    action: str
    resource: str


class Decision(enum.Enum):
    ALLOWED = enum.auto()
    IMPLICITLY_DENIED = enum.auto()  # no statement allows it
    EXPLICITLY_DENIED = enum.auto()  # a statement denies it


def decide(documents: Iterable[Mapping[str, Any]], permission: Permission) -> Decision:
    allowed = False
    for statement in statements(documents):
        if not _concerns(statement, permission):
            continue
        if statement.get("Effect") == "Deny":
            return Decision.EXPLICITLY_DENIED
        allowed = allowed or "Condition" not in statement
    return Decision.ALLOWED if allowed else Decision.IMPLICITLY_DENIED


def statements(documents: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every statement of the documents (`Statement` may be one statement or a list)."""
    for document in documents:
        found = document.get("Statement", [])
        yield from [found] if isinstance(found, Mapping) else found


def _concerns(statement: Mapping[str, Any], permission: Permission) -> bool:
    return _element_matches(statement, "Action", permission.action, ignore_case=True) and _element_matches(
        statement, "Resource", permission.resource, ignore_case=False
    )


def _element_matches(statement: Mapping[str, Any], element: str, value: str, *, ignore_case: bool) -> bool:
    """`Action`/`Resource` names the value, or `NotAction`/`NotResource` does not; a statement with
    neither matches (identity policies always have them; a resource-less action is "*")."""
    if element in statement:
        return _any_matches(statement[element], value, ignore_case)
    if f"Not{element}" in statement:
        return not _any_matches(statement[f"Not{element}"], value, ignore_case)
    return True


def _any_matches(patterns: str | list[str], value: str, ignore_case: bool) -> bool:
    return any(
        _compiled(pattern, ignore_case).fullmatch(value)
        for pattern in ([patterns] if isinstance(patterns, str) else patterns)
    )


@functools.cache
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))
