"""Where a listing reads: one partition of a table or an index, in the order of its sort key, and
the bounds of a read within it. Every team's partitions start with ``TEAM#{team}``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def team_partition(team_id: str) -> str:
    return f"TEAM#{team_id}"


@dataclass(frozen=True)
class Partition:
    """A partition read in the order of its sort key. ``members`` partitions hold membership
    records (item ids) rather than items."""

    team_id: str
    pk_attribute: str
    pk_value: str
    sort_attribute: str
    index: str | None = None
    table: str | None = None  # None: the items table
    members: bool = False


@dataclass(frozen=True)
class Range:
    """Sort-key bounds; ``after`` is an exclusive position in the direction of reading."""

    lower: str | None = None
    upper: str | None = None
    after: str | None = None
    newest_first: bool = True


def key_condition(partition: Partition, bounds: Range) -> tuple[str, dict[str, Any]]:
    """A query's KeyConditionExpression (``#pk`` and ``#sort`` name the attributes) and values."""
    lower, upper = bounds.lower, bounds.upper
    if bounds.after is not None:
        if bounds.newest_first:
            upper = bounds.after if upper is None else min(upper, bounds.after)
        else:
            lower = bounds.after if lower is None else max(lower, bounds.after)
    values: dict[str, Any] = {":pk": {"S": partition.pk_value}}
    condition = "#pk = :pk"
    if lower is not None and upper is not None:
        condition += " AND #sort BETWEEN :lower AND :upper"
        values.update({":lower": {"S": lower}, ":upper": {"S": upper}})
    elif lower is not None:
        condition += " AND #sort >= :lower"
        values[":lower"] = {"S": lower}
    elif upper is not None:
        condition += " AND #sort <= :upper"
        values[":upper"] = {"S": upper}
    return condition, values
