"""The bill as the tables ``python -m bench.cost`` prints."""

from __future__ import annotations

import re
from collections.abc import Sequence

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
from bench.cost.prices import PRICE, PRICES, Price
from bench.cost.template_facts import Deployment

UNPRICED_ROWS = ("bulk", "patch", "favorite", "delete", "restore", "generate into")  # not in the workload


def text_report(measured: Measured, deployment: Deployment, bill: Bill) -> str:
    w = bill.workload
    header = (
        f"Galleria on AWS (us-east-1), a month of: {w.generations:,.0f} generations of "
        f"{w.images_per_generation} image(s), {w.gallery_reads:,.0f} gallery reads, {w.share_views:,.0f} "
        f"share views, {w.exports:,.0f} exports of {w.items_per_export} items, {w.stored_gb:,.0f} GB stored "
        f"(images {w.image_mb:g} MB); SnapStart {'on' if w.snapstart else 'off'}, ApiTracing "
        f"{w.api_tracing}, logs kept {w.log_retention_days} days"
        f"{', free tier taken off' if w.free_tier else ''}."
    )
    sections = [
        [header],
        _bill_table(bill),
        _by_operation(bill),
        _per_1000_generations(measured, deployment, bill),
        _provider_fees(bill),
        _measured(measured, deployment),
        _snapstart(bill, deployment),
        _retention(bill),
        _assumptions_and_prices(deployment),
    ]
    if measured.seconds_taken:
        sections.append([f"Measured in {measured.seconds_taken:.1f} s on {measured.machine}."])
    return "\n\n".join("\n".join(section) for section in sections)


def _bill_table(bill: Bill) -> list[str]:
    rows = [
        [
            PRICE[line.price].service,
            PRICE[line.price].item,
            f"{'~' if line.estimated else ''}{_quantity(line.quantity)} {_base_unit(PRICE[line.price])}",
            _unit_price(PRICE[line.price]),
            _money(line.usd),
        ]
        for line in bill.lines
    ]
    rows += [["TOTAL", "", "", "", _money(bill.total)]]
    return [
        *_table(["service", "item", "quantity", "unit price", "monthly USD"], rows, right=(2, 3, 4)),
        "(~: the quantity rests on an estimate, see the assumptions)",
    ]


def _by_operation(bill: Bill) -> list[str]:
    counts = bill.workload.operations()
    groups = [[g, _money(bill.by_group.get(g, 0.0)), _money(bill.per_1000(g, counts[g]))] for g in counts]
    groups += [[g, _money(bill.by_group.get(g, 0.0)), ""] for g in ("cold starts", "storage", "standing")]
    return [
        "Where it goes, by operation (list prices):",
        *_table(["operation", "monthly USD", "per 1,000"], groups, right=(1, 2)),
    ]


def _per_1000_generations(measured: Measured, deployment: Deployment, bill: Bill) -> list[str]:
    w, per_gen = bill.workload, bill.per_1000_generations
    verdict = "meets" if per_gen <= GOAL_PER_1000_GENERATIONS else "misses"
    worker_mb = deployment.memory_mb["GenerationWorkerFunction"]
    wait = 1000 * worker_mb / 1024 * PRICE["lambda.gb_s"].usd
    tracing = api_tracing_comparison(measured, deployment, bill)
    return [
        f"Cost per 1,000 generations, provider fees excluded: {_money(per_gen)} "
        f"({verdict} the ${GOAL_PER_1000_GENERATIONS:.2f} goal).",
        *(
            f"  With ApiTracing={value} instead of {w.api_tracing}: {_money(usd)} "
            f"(X-Ray: {_unit_price(PRICE['xray.traces'])})."
            for value, usd in tracing.items()
            if value != w.api_tracing
        ),
        f"  Each second the worker ({worker_mb} MB) waits on a provider adds {_money(wait)} per 1,000 "
        "generations (not in the figure above).",
        f"  By item ({w.status_polls:g} status polls and {w.images_per_generation} item read(s) per "
        "generation, each an API request):",
        *(
            f"    {PRICE[key].service}, {PRICE[key].item}: {_money(usd / w.generations * 1000)}"
            for key, usd in bill.group_lines("generation").items()
            if w.generations
        ),
    ]


def _provider_fees(bill: Bill) -> list[str]:
    per_gen, images = bill.per_1000_generations, bill.workload.images_per_generation
    fees = [
        [
            model,
            "-" if fee is None else _money(fee * 1000),
            _money((fee or 0) * 1000 * images + per_gen),
        ]
        for model, fee in provider_fees()
    ]
    return [
        "Provider fees next to it (per 1,000 images; per 1,000 generations with the AWS cost):",
        *_table(["model", "fee per 1,000 images", "all-in per 1,000 generations"], fees, right=(1, 2)),
    ]


def _measured(measured: Measured, deployment: Deployment) -> list[str]:
    rows = [
        [
            name,
            function_of(name),
            f"{deployment.memory_mb[function_of(name)]}",
            f"{row.seconds * 1000:.1f}",
            f"{row.read_units:g}",
            f"{row.write_units:g}",
            f"{sum(row.calls.values()):g}",
            f"{row.log_bytes:.0f}",
        ]
        for name, row in measured.rows.items()
        if not name.startswith(UNPRICED_ROWS)
    ]
    return [
        "Measured per operation (warm, in-process against moto; the generation worker's own time, "
        "the model's excluded):",
        *_table(
            ["operation", "function", "MB", "ms", "RRU", "WRU", "AWS calls", "log B"],
            rows,
            right=(2, 3, 4, 5, 6, 7),
        ),
        f"DynamoDB bytes per stored image (all tables): {measured.dynamodb_bytes_per_image:,.0f}; "
        f"custom metrics seen: {measured.custom_metrics}; platform log bytes per invocation "
        f"~{deployment.platform_log_bytes}, API access log line ~{deployment.access_log_bytes}.",
    ]


def _snapstart(bill: Bill, deployment: Deployment) -> list[str]:
    snap = snapstart_comparison(bill, deployment)
    rows = [
        [r.function, str(r.memory_mb), f"{r.cold_starts:,.0f}", _money(r.off_usd), _money(r.on_usd)]
        for r in snap
    ]
    rows += [["total", "", "", _money(sum(r.off_usd for r in snap)), _money(sum(r.on_usd for r in snap))]]
    return [
        "SnapStart on the API functions, off vs on, in USD a month (on: the published version's memory "
        f"cached all month, a restore per cold start; off: INIT of ~{bill.workload.init_seconds:g} s billed "
        f"per cold start; the template's default is {'on' if deployment.default_snapstart else 'off'}; the "
        "latency it saves is not priced):",
        *_table(["function", "MB", "~cold starts", "off USD", "on USD"], rows, right=(1, 2, 3, 4)),
    ]


def _retention(bill: Bill) -> list[str]:
    return [
        f"Log retention ({bill.logs_gb:,.2f} GB ingested a month: "
        f"{_money(bill.logs_gb * PRICE['logs.ingest'].usd)} whatever the choice; stored compressed):",
        *_table(
            ["kept", "storage USD a month"],
            [[k, _money(v)] for k, v in retention_comparison(bill)],
            right=(1,),
        ),
    ]


def _assumptions_and_prices(deployment: Deployment) -> list[str]:
    return [
        "Assumptions:",
        *(f"- {a}" for a in assumptions(deployment)),
        "",
        "Prices (us-east-1):",
        *_table(
            ["service", "item", "USD", "per", "source", "checked"],
            [
                [p.service, p.item, _unit_price(p).split(" / ")[0], p.unit, p.source, p.checked]
                for p in PRICES
            ],
            right=(2,),
        ),
        *(f"- {p.service}, {p.item}: {p.note}" for p in PRICES if p.note),
    ]


def _money(usd: float) -> str:
    return f"${usd:,.2f}" if abs(usd) >= 0.995 or usd == 0 else f"${usd:,.4f}"


def _quantity(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}" if value >= 1 else f"{value:.4f}"


def _unit_price(price: Price) -> str:
    usd = f"{price.usd:.10f}".rstrip("0").rstrip(".") if price.usd < 0.01 else f"{price.usd:.3f}".rstrip("0")
    return f"${usd.rstrip('.')} / {price.unit}"


def _base_unit(price: Price) -> str:
    """The unit a quantity counts: "requests" of a price per "1M requests"."""
    return re.sub(r"^(1M|1,000|10,000) ", "", price.unit)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), line(["-" * width for width in widths]), *(line(row) for row in rows)]
