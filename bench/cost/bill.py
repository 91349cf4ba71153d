"""The month's bill: line items by operation group and price, and the sums the reports print."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bench.cost.prices import PRICE, PRICES
from bench.cost.workload import Workload

GOAL_PER_1000_GENERATIONS = 0.05


@dataclass(frozen=True)
class Line:
    group: str
    price: str  # a PRICE key
    quantity: float  # in the price's units (before ``per``)
    estimated: bool = False

    @property
    def usd(self) -> float:
        price = PRICE[self.price]
        return self.quantity * price.usd / price.per


@dataclass(frozen=True)
class Bill:
    workload: Workload
    lines: tuple[Line, ...]  # summed by price, for the table
    detail: tuple[Line, ...]  # by operation group and price
    by_group: Mapping[str, float]
    cold_starts: Mapping[str, float]
    logs_gb: float

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    @property
    def per_1000_generations(self) -> float:
        return self.per_1000("generation", self.workload.generations)

    def per_1000(self, group: str, count: float) -> float:
        return self.by_group.get(group, 0.0) / count * 1000 if count else 0.0

    def group_lines(self, group: str) -> dict[str, float]:
        """USD by price key within one operation group, the largest first."""
        usd: dict[str, float] = defaultdict(float)
        for line in self.detail:
            if line.group == group:
                usd[line.price] += line.usd
        return dict(sorted(usd.items(), key=lambda item: -item[1]))


def summed(lines: Iterable[Line], *, free_tier: bool) -> tuple[Line, ...]:
    """One line per price (in PRICES' order), its groups summed; the free allowance taken off."""
    quantity: dict[str, float] = defaultdict(float)
    estimated: dict[str, bool] = defaultdict(bool)
    for line in lines:
        quantity[line.price] += line.quantity
        estimated[line.price] |= line.estimated
    return tuple(
        Line(
            "all",
            price.key,
            max(0.0, quantity[price.key] - (price.free if free_tier else 0.0)),
            estimated[price.key],
        )
        for price in PRICES
        if price.key in quantity
    )
