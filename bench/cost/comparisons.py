"""The choices the template leaves open, priced side by side: SnapStart off or on, log retention,
ApiTracing; and the providers' fees next to the AWS cost."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bench.cost.bill import Bill
from bench.cost.estimates import LOG_COMPRESSION
from bench.cost.ledger import price_bill
from bench.cost.measure import Measured
from bench.cost.prices import PRICE
from bench.cost.template_facts import Deployment
from bench.cost.units import DAYS_PER_MONTH, SECONDS_PER_MONTH

RETENTION_CHOICES = (1, 7, 14, 30, 90, 365)


@dataclass(frozen=True)
class SnapStartRow:
    function: str
    memory_mb: int
    cold_starts: float
    off_usd: float  # INIT billed at each cold start
    on_usd: float  # cache all month + restore at each cold start


def snapstart_comparison(bill: Bill, deployment: Deployment) -> list[SnapStartRow]:
    rows = []
    for function in deployment.snapstart_functions:
        memory = deployment.memory_mb[function]
        gb, starts = memory / 1024, bill.cold_starts.get(function, 0.0)
        off = starts * bill.workload.init_seconds * gb * PRICE["lambda.init_gb_s"].usd
        on = (
            gb * SECONDS_PER_MONTH * PRICE["lambda.snapstart_cache"].usd
            + starts * gb * PRICE["lambda.snapstart_restore"].usd
        )
        rows.append(SnapStartRow(function, memory, starts, off, on))
    return rows


def retention_comparison(bill: Bill) -> list[tuple[str, float]]:
    """Monthly log storage for each retention (steady state); never expiring grows every month."""
    stored = bill.logs_gb * LOG_COMPRESSION
    usd = PRICE["logs.storage"].usd
    choices = [
        (f"{days} day{'s' if days > 1 else ''}", stored * days / DAYS_PER_MONTH * usd)
        for days in RETENTION_CHOICES
    ]
    return [*choices, *((f"never, after {years} year(s)", stored * 12 * years * usd) for years in (1, 3))]


def api_tracing_comparison(measured: Measured, deployment: Deployment, bill: Bill) -> dict[str, float]:
    """The cost per 1,000 generations with each value the ApiTracing parameter allows, the rest of
    the workload as it is."""
    return {
        value: price_bill(
            measured, deployment, replace(bill.workload, api_tracing=value)
        ).per_1000_generations
        for value in deployment.traced_functions
    }


def provider_fees() -> list[tuple[str, float | None]]:
    """Each catalogue model and its provider's list price per image (None: no fee)."""
    from galleria.catalog import MODELS

    return [
        (model.id, PRICE[f"model:{model.id}"].usd if f"model:{model.id}" in PRICE else None)
        for model in MODELS
    ]
