"""The monthly bill calculator (bench/cost/): what its user reads must add up and move with the
workload and the template's choices. Measurements are injected (a stand-in of one warm run per
operation) so these run in a moment; the last test runs the real measurement once."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from bench.aws_calls_per_operation import Row
    from bench.cost.bill import Bill
    from bench.cost.measure import Measured

ROOT = Path(__file__).resolve().parents[2]
SERVICES_PRICED = (
    "Lambda",
    "API Gateway",
    "DynamoDB",
    "S3",
    "SQS",
    "CloudWatch",
    "X-Ray",
    "Secrets Manager",
    "KMS",
)
WORKERS = {
    "GenerationWorkerFunction",
    "GenerationDeadLetterFunction",
    "IngestWorkerFunction",
    "ExportWorkerFunction",
    "TrashPurgeFunction",
}


@pytest.fixture(autouse=True)
def _bench_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))


def row(name: str, calls: dict[tuple[str, str], float], **numbers: float) -> Row:
    from bench.aws_calls_per_operation import Row

    return Row(name, calls, 0, {}, **numbers)


def fake_measured() -> Measured:
    """A warm run of each operation the bill needs, with round, plausible figures."""
    from bench.cost.measure import Measured

    api = {"seconds": 0.012, "read_units": 1.5, "response_bytes": 800.0}
    rows = [
        row("list (a page of 20)", {("dynamodb", "Query"): 1, ("dynamodb", "BatchGetItem"): 1}, **api),
        row("get", {("dynamodb", "GetItem"): 2}, **api),
        row("share view: the page", {("dynamodb", "GetItem"): 2}, **api),
        row("share view: its image", {("dynamodb", "GetItem"): 2}, **api),
        row("generate, API side: 1 image", {("sqs", "SendMessage"): 1}, write_units=7, log_bytes=270, **api),
        row("generate, API side: 4 images", {("sqs", "SendMessage"): 1}, write_units=7, log_bytes=270, **api),
        row("generate, worker: per image", {("s3", "PutObject"): 3}, seconds=0.03, write_units=17),
        row("generate, worker: per job", {("dynamodb", "GetItem"): 1}, seconds=0.03, log_bytes=680),
        row("job status (a poll)", {("dynamodb", "GetItem"): 2}, **api),
        row("media link (a thumbnail)", {("dynamodb", "GetItem"): 1}, seconds=0.006, read_units=1),
        row("export, API side: 10 items", {("sqs", "SendMessage"): 1}, write_units=2, **api),
        row("export, worker: per item", {("s3", "GetObject"): 1}, seconds=0.005, read_units=1),
        row("export, worker: per job", {("s3", "PutObject"): 1}, seconds=0.04, write_units=3),
        row("export status (a poll)", {("dynamodb", "GetItem"): 2}, **api),
    ]
    rows[0] = replace(rows[0], cold_extra={("secretsmanager", "GetSecretValue"): 1})
    return Measured({r.operation: r for r in rows}, dynamodb_bytes_per_image=8000, custom_metrics=4)


def bill(**changes: Any) -> Bill:
    """The bill of the template's default workload with ``changes`` made to it."""
    from bench.cost.ledger import price_bill
    from bench.cost.template_facts import read_deployment
    from bench.cost.workload import Workload

    deployment = read_deployment()
    workload = replace(Workload.from_template(deployment), **changes)
    return price_bill(fake_measured(), deployment, workload)


def quantity(priced: Bill, price: str, group: str | None = None) -> float:
    return sum(line.quantity for line in priced.detail if line.price == price and group in (None, line.group))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    from bench.cost.__main__ import main

    main(list(argv), measured=fake_measured())
    return capsys.readouterr().out


def dollars(text: str) -> float:
    return float(text.replace("$", "").replace(",", ""))


def test_the_printed_total_is_the_sum_of_the_printed_lines(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys)

    table = out.split("\n\n")[1].splitlines()
    lines = [line for line in table[2:] if not line.startswith(("TOTAL", "(~"))]
    total = next(line for line in table if line.startswith("TOTAL"))
    printed = [dollars(line.split()[-1]) for line in lines]
    assert len(lines) >= 15
    assert dollars(total.split()[-1]) == pytest.approx(sum(printed), abs=0.01 * len(printed))
    assert bill().total == pytest.approx(sum(line.usd for line in bill().lines))


def test_doubling_generations_doubles_their_lines_and_leaves_storage_alone() -> None:
    once, twice = bill(generations=10_000), bill(generations=20_000)

    generation = once.group_lines("generation")
    assert generation and twice.group_lines("generation").keys() == generation.keys()
    for price, usd in generation.items():
        assert twice.group_lines("generation")[price] == pytest.approx(2 * usd, rel=0.05), price
    assert twice.by_group["storage"] == pytest.approx(once.by_group["storage"], rel=0.01)
    assert twice.by_group["gallery read"] == pytest.approx(once.by_group["gallery read"])
    assert twice.total > once.total


def test_every_price_has_a_source_and_the_date_it_was_checked() -> None:
    from bench.cost.prices import PRICES

    for price in PRICES:
        assert price.source.startswith("https://"), price.key
        assert date.fromisoformat(price.checked) <= date.today(), price.key
        assert price.usd > 0 and price.per > 0, price.key
    assert len({price.key for price in PRICES}) == len(PRICES)


def test_every_service_of_the_stack_and_every_paid_model_has_a_price() -> None:
    from bench.cost.prices import PRICE, PRICES
    from galleria.catalog import MODELS

    keys = {price.key for price in PRICES}
    needed = {
        "lambda.gb_s", "lambda.requests", "lambda.snapstart_cache", "lambda.snapstart_restore",
        "apigw.requests", "dynamodb.rru", "dynamodb.wru", "dynamodb.storage", "s3.storage", "s3.put",
        "s3.get", "transfer.out", "sqs.requests", "logs.ingest", "logs.storage", "xray.traces",
        "secrets.secrets", "secrets.api", "kms.requests",
    }  # fmt: skip
    assert needed <= keys
    assert {price.service for price in PRICES} >= set(SERVICES_PRICED)
    assert PRICE["dynamodb.rru"].usd == 0.125 and PRICE["dynamodb.wru"].usd == 0.625
    paid = {model.id for model in MODELS if model.provider != "local"}
    assert {f"model:{model}" for model in paid} <= keys


def test_memory_comes_from_the_template_with_globals_merged() -> None:
    from bench.cost.template_facts import read_deployment

    deployment = read_deployment()

    assert deployment.default_memory_mb == 1024  # Globals.Function.MemorySize
    assert deployment.memory_mb["GalleryApiFunction"] == deployment.default_memory_mb
    assert deployment.memory_mb["PublicApiFunction"] == deployment.default_memory_mb  # no override
    assert deployment.memory_mb["IngestWorkerFunction"] == 1536  # its own
    assert "GalleryApiFunction" in deployment.snapstart_functions
    assert "GenerationWorkerFunction" not in deployment.snapstart_functions


def test_the_cost_per_1000_generations_is_printed_next_to_provider_fees_and_api_tracing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = run(capsys)

    figure = re.search(r"Cost per 1,000 generations, provider fees excluded: (\$[\d.,]+)", out)
    traced = re.search(r"With ApiTracing=Active instead of PassThrough: (\$[\d.,]+)", out)
    assert figure is not None and traced is not None
    assert dollars(figure.group(1)) == pytest.approx(bill().per_1000_generations, abs=0.0001)
    assert dollars(traced.group(1)) == pytest.approx(
        bill(api_tracing="Active").per_1000_generations, abs=0.0001
    )
    assert dollars(traced.group(1)) > dollars(figure.group(1))
    assert re.search(r"google/gemini-2\.5-flash-image\s+\$39\.00", out)
    assert "SnapStart on the API functions" in out and "Log retention" in out


def test_with_the_default_api_tracing_only_the_workers_record_traces() -> None:
    from bench.cost.template_facts import read_deployment

    deployment = read_deployment()
    default = bill()

    assert deployment.default_api_tracing == "PassThrough"
    assert set(deployment.traced_functions["PassThrough"]) == WORKERS
    assert quantity(default, "xray.traces", "gallery read") == 0
    assert quantity(default, "xray.traces", "share view") == 0
    assert quantity(default, "xray.traces", "generation") == pytest.approx(default.workload.generations)
    assert quantity(default, "xray.traces") == pytest.approx(
        default.workload.generations + default.workload.exports
    )


def test_api_tracing_active_traces_every_api_request_and_the_workers_join_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = json.loads(run(capsys, "--json", "--api-tracing", "Active"))
    default, active = bill(), bill(api_tracing="Active")

    api_requests = quantity(active, "apigw.requests")  # each response under 512 KB: one request each
    workers = default.workload.generations + default.workload.exports
    assert quantity(active, "xray.traces") == pytest.approx(api_requests)
    assert quantity(active, "xray.traces") - quantity(default, "xray.traces") == pytest.approx(
        api_requests - workers
    )
    assert report["workload"]["api_tracing"] == "Active"
    xray = next(line for line in report["lines"] if line["price"] == "xray.traces")
    assert xray["quantity"] == pytest.approx(api_requests)


def test_snapstart_on_adds_its_cache_and_replaces_init_with_restores() -> None:
    off, on = bill(snapstart=False), bill(snapstart=True)

    priced = {line.price for line in on.lines}
    assert {"lambda.snapstart_cache", "lambda.snapstart_restore"} <= priced
    assert "lambda.snapstart_cache" not in {line.price for line in off.lines}
    assert on.total > off.total


def test_json_parses_and_adds_up(capsys: pytest.CaptureFixture[str]) -> None:
    report = json.loads(run(capsys, "--json", "--generations", "5000"))

    assert report["workload"]["generations"] == 5000
    assert report["workload"]["api_tracing"] == "PassThrough"
    assert report["total_usd"] == pytest.approx(sum(line["monthly_usd"] for line in report["lines"]))
    assert report["per_1000_generations_usd"] > 0
    by_tracing = report["per_1000_generations_usd_by_api_tracing"]
    assert by_tracing["PassThrough"] == pytest.approx(report["per_1000_generations_usd"])
    assert by_tracing["Active"] > by_tracing["PassThrough"]
    assert report["goal_per_1000_generations_usd"] == 0.05
    assert {"snapstart", "log_retention", "prices", "assumptions", "measured"} <= report.keys()


@pytest.mark.slow  # a real measurement on the local stack: `make unit` leaves it out
def test_the_real_measurement_prices_every_operation() -> None:
    from bench.cost.ledger import price_bill
    from bench.cost.measure import measure
    from bench.cost.template_facts import read_deployment
    from bench.cost.workload import Workload

    measured = measure()

    assert measured.rows["generate, worker: per image"].calls[("s3", "PutObject")] == 3
    assert measured.rows["generate, worker: per image"].write_units > 1
    assert measured.rows["list (a page of 20)"].seconds > 0
    assert measured.rows["generate, worker: per job"].log_bytes > 0  # Powertools logs at INFO
    assert measured.custom_metrics > 0 and measured.dynamodb_bytes_per_image > 0
    deployment = read_deployment()
    priced = price_bill(measured, deployment, Workload.from_template(deployment))
    assert priced.total > 0 and priced.per_1000_generations > 0
