"""The bill as the JSON ``python -m bench.cost --json`` prints: every figure of the tables, unrounded."""

from __future__ import annotations

from dataclasses import asdict

from bench.cost.bill import GOAL_PER_1000_GENERATIONS, Bill
from bench.cost.comparisons import (
    api_tracing_comparison,
    provider_fees,
    retention_comparison,
    snapstart_comparison,
)
from bench.cost.estimates import assumptions
from bench.cost.invocations import function_of
from bench.cost.measure import Measured
from bench.cost.prices import PRICE, PRICES
from bench.cost.template_facts import Deployment

JSON = dict[str, object]


def json_report(measured: Measured, deployment: Deployment, bill: Bill) -> JSON:
    counts = bill.workload.operations()
    return {
        "workload": asdict(bill.workload),
        "lines": [
            {
                "service": PRICE[line.price].service,
                "item": PRICE[line.price].item,
                "price": line.price,
                "quantity": line.quantity,
                "unit": PRICE[line.price].unit,
                "per": PRICE[line.price].per,
                "unit_price_usd": PRICE[line.price].usd,
                "monthly_usd": line.usd,
                "estimated": line.estimated,
            }
            for line in bill.lines
        ],
        "total_usd": bill.total,
        "by_group_usd": dict(bill.by_group),
        "per_1000_usd": {group: bill.per_1000(group, n) for group, n in counts.items()},
        "per_1000_generations_usd": bill.per_1000_generations,
        "per_1000_generations_usd_by_api_tracing": api_tracing_comparison(measured, deployment, bill),
        "goal_per_1000_generations_usd": GOAL_PER_1000_GENERATIONS,
        "provider_fee_per_1000_images_usd": {m: None if f is None else f * 1000 for m, f in provider_fees()},
        "snapstart": [asdict(r) for r in snapstart_comparison(bill, deployment)],
        "log_retention": dict(retention_comparison(bill)),
        "measured": {
            name: {
                "function": function_of(name),
                "seconds": row.seconds,
                "read_units": row.read_units,
                "write_units": row.write_units,
                "log_bytes": row.log_bytes,
                "response_bytes": row.response_bytes,
                "calls": {f"{s}:{op}": n for (s, op), n in row.calls.items()},
            }
            for name, row in measured.rows.items()
        },
        "deployment": asdict(deployment),
        "assumptions": list(assumptions(deployment)),
        "prices": [asdict(p) for p in PRICES],
    }
