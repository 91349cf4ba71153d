"""AWS calls per operation: every call the API's handlers (and the generation worker) make for one
request, counted with botocore hooks on every client galleria uses (bench/aws_calls.py).

Provisions template.yaml in moto in-process, builds a gallery through the API (local/procedural
images; 40% of them with two tags, 20% in a collection, one share link), then runs each operation
through its real handler twice on equivalent targets: cold (Powertools' parameter cache empty, as
after a cold start) and warm (a warm Lambda's next request). The table shows the warm call and
what the cold one adds. The worker's cost per image is the difference between a four-image and a
one-image job, divided by three; what is left of the one-image job is its cost per job.

Each row also keeps what bench/cost/ prices besides the calls: the warm run's seconds (the
handler's wall time), DynamoDB's request units as
bench/aws_calls.py estimates them, the bytes its responses and its log lines came to. The offline
model renders each distinct request once while the generation rows run (a later one, another seed,
gets the same picture at once), so a warm worker's seconds are its own, not the model's.
``workload_rows`` measures the operations bench/cost/ needs that the table leaves out (a job
status poll, a media link, exports and their worker); they are not printed here.

    .venv/bin/python -m bench.aws_calls_per_operation [--items 50] [--bulk 200]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bench.aws_calls import CallCount, counting, forget_cached_parameters, galleria_clients

TAGS = ["landscape", "sunset"]
# Quiet, and signing media links with the key from Secrets Manager as a deployment does.
ENVIRONMENT = {
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "MEDIA_SIGNING_KEY": "",
}
MAX_BULK_IDS = 200
MAIN_SERVICES = ("dynamodb", "s3", "sqs")

Calls = dict[tuple[str, str], float]  # (service, operation) -> calls
_MEASURES = ("seconds", "read_units", "write_units", "response_bytes", "log_bytes")  # Row's numbers


@dataclass(frozen=True)
class Row:
    operation: str
    calls: Calls
    items_read: float
    cold_extra: Calls = field(default_factory=dict)
    seconds: float = 0.0  # the warm run's wall time
    read_units: float = 0.0  # DynamoDB request units, estimated (bench/aws_calls.py)
    write_units: float = 0.0
    response_bytes: float = 0.0  # bodies of the API's answers
    log_bytes: float = 0.0  # what the handlers wrote to stdout: Powertools' JSON log lines, EMF


@dataclass(frozen=True)
class Gallery:
    key: str
    bulk_ids: list[str]  # the items bulk operations take
    target: str  # the item single-item operations take: two tags, in one collection
    collection: str
    shared_item: str
    share_token: str


def calls_of(count: CallCount) -> Calls:
    return {(service, op): n for service, ops in count.by_service.items() for op, n in ops.items()}


def difference(after: Calls, before: Calls, divide: float = 1) -> Calls:
    keys = sorted(set(after) | set(before))
    changed = {key: (after.get(key, 0) - before.get(key, 0)) / divide for key in keys}
    return {key: n for key, n in changed.items() if n}


def derived(
    operation: str, after: Row, before: Row, divide: float = 1, cold_extra: Calls | None = None
) -> Row:
    """The row of what ``after`` does beyond ``before``, divided by ``divide``."""

    def less(name: str) -> float:
        return (getattr(after, name) - getattr(before, name)) / divide

    return Row(
        operation,
        difference(after.calls, before.calls, divide),
        less("items_read"),
        cold_extra or {},
        **{name: less(name) for name in _MEASURES},
    )


class Measurer:
    """Runs API requests and worker deliveries with every galleria client counted."""

    def __init__(self, stack: Any, clients: list[Any], logged: Callable[[], int] = lambda: 0) -> None:
        self.stack = stack
        self.clients = clients
        self.logged = logged  # bytes the handlers have logged so far
        self.response_bytes = 0

    @contextmanager
    def counted(self, *, cold: bool) -> Iterator[CallCount]:
        if cold:
            forget_cached_parameters()
        with counting(*self.clients) as count:
            yield count

    def request(self, method: str, path: str, key: str | None, expect: int, **kwargs: Any) -> Any:
        response = self.stack.request(method, path, key=key, **kwargs)
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {response.body[:300]!r}")
        self.response_bytes += len(response.body)
        return response

    def rows(self, *operations: tuple[str, Callable[[], Any]]) -> list[Row]:
        """Each operation cold, in the order given, then each warm: so a pair such as (delete,
        restore) leaves its target as it found it before the warm round."""
        colds = []
        for _, run in operations:
            with self.counted(cold=True) as cold:
                run()
            colds.append(cold)
        rows = []
        for (name, run), cold in zip(operations, colds, strict=True):
            logged, answered = self.logged(), self.response_bytes
            with self.counted(cold=False) as warm:
                started = time.perf_counter()
                run()
                seconds = time.perf_counter() - started
            rows.append(
                Row(
                    name,
                    calls_of(warm),
                    warm.items_read,
                    difference(calls_of(cold), calls_of(warm)),
                    seconds=seconds,
                    read_units=warm.read_units,
                    write_units=warm.write_units,
                    response_bytes=self.response_bytes - answered,
                    log_bytes=self.logged() - logged,
                )
            )
        return rows


def build_gallery(measurer: Measurer, items: int, bulk: int) -> Gallery:
    """A team whose gallery holds ``items + bulk`` generated images, organised through the API."""
    from galleria.domain.teams import Plan
    from galleria_local.in_process import create_team

    team = create_team(plan=Plan.ENTERPRISE, credits=10 * (items + bulk) + 1000)
    ids = measurer.stack.make_items(team, items + bulk, prompt="A harbour at dawn")
    collection = measurer.request(
        "POST", "/api/v1/gallery/collections", team.key, 201, json_body={"name": "Harbours"}
    ).json()["id"]
    organised = [
        ("tag", [item_id for n, item_id in enumerate(ids) if n % 5 in (0, 1)], {"tags": TAGS}),
        ("collect", [item_id for n, item_id in enumerate(ids) if n % 5 == 0], {"collectionId": collection}),
    ]
    for action, chosen, options in organised:
        for start in range(0, len(chosen), MAX_BULK_IDS):
            body = {"itemIds": chosen[start : start + MAX_BULK_IDS], **options}
            measurer.request("POST", f"/api/v1/gallery/bulk/{action}", team.key, 200, json_body=body)
    share = measurer.request("POST", f"/api/v1/gallery/{ids[1]}/share", team.key, 201, json_body={})
    return Gallery(
        key=team.key,
        bulk_ids=ids[items:],
        target=ids[0],
        collection=collection,
        shared_item=ids[1],
        share_token=share.json()["token"],
    )


def api_rows(measurer: Measurer, gallery: Gallery) -> list[Row]:
    """A row per API operation, each leaving the gallery as it found it for the next."""
    key, item = gallery.key, f"/api/v1/gallery/{gallery.target}"
    share = f"/share/{gallery.share_token}"
    shared_image = f"{share}/items/{gallery.shared_item}/image"

    def call(method: str, path: str, expect: int = 200, **kwargs: Any) -> Callable[[], Any]:
        return lambda: measurer.request(
            method, path, key if path.startswith("/api/") else None, expect, **kwargs
        )

    def bulk(action: str) -> Callable[[], Any]:
        return call("POST", f"/api/v1/gallery/bulk/{action}", json_body={"itemIds": gallery.bulk_ids})

    size = len(gallery.bulk_ids)
    return [
        *measurer.rows(("list (a page of 20)", call("GET", "/api/v1/gallery"))),
        *measurer.rows(("get", call("GET", item))),
        # Both tags replaced there and back, so the warm call changes as much as the cold one (the
        # way back is not a row of its own).
        *measurer.rows(
            ("patch (both tags replaced)", call("PATCH", item, json_body={"tags": ["harbour", "dawn"]})),
            ("patch back", call("PATCH", item, json_body={"tags": TAGS})),
        )[:1],
        *measurer.rows(("favorite (toggle)", call("POST", f"{item}/favorite"))),
        *measurer.rows(
            ("delete (to the trash)", call("DELETE", item)), ("restore", call("POST", f"{item}/restore"))
        ),
        *measurer.rows(
            (f"bulk delete of {size}", bulk("delete")), (f"bulk restore of {size}", bulk("restore"))
        ),
        *measurer.rows(("share view: the page", call("GET", share))),
        *measurer.rows(("share view: its image", call("GET", shared_image, 302))),
    ]


def generation_rows(measurer: Measurer, key: str, label: str, options: dict[str, Any]) -> list[Row]:
    """The API side of async generation requests of one and four images, then the worker running
    those jobs; its cost per image and per job are told apart by the two jobs' difference."""
    queued: dict[int, list[str]] = {1: [], 4: []}

    def generate(images: int) -> Callable[[], None]:
        def run() -> None:
            body = {"prompt": "A lighthouse", "model": "local/procedural", "numImages": images, "async": True}
            answer = measurer.request("POST", "/api/v1/generate-image", key, 202, json_body=body | options)
            queued[images].append(answer.json()["jobId"])

        return run

    def work(images: int) -> Callable[[], None]:
        def run() -> None:
            result = measurer.stack.deliver(queued[images].pop(0))
            if result.get("batchItemFailures"):
                raise RuntimeError(f"the worker failed a {images}-image job")

        return run

    with rendered_once():
        api = measurer.rows(
            (f"generate{label}, API side: 1 image", generate(1)),
            (f"generate{label}, API side: 4 images", generate(4)),
        )
        one, four = measurer.rows(
            (f"generate{label}, worker: 1-image job", work(1)),
            (f"generate{label}, worker: 4-image job", work(4)),
        )
    per_image = derived(f"generate{label}, worker: per image", four, one, 3)
    per_job = derived(f"generate{label}, worker: per job", one, per_image, cold_extra=one.cold_extra)
    return [*api, one, four, per_image, per_job]


@contextmanager
def rendered_once() -> Iterator[None]:
    """The offline model renders each request once, whatever its seed; a repeat gets that picture
    at once (a cold run renders, the warm run after it then times the worker alone)."""
    from galleria.providers.local_procedural import LocalProceduralProvider

    render = LocalProceduralProvider.generate
    made: dict[tuple[Any, ...], Any] = {}

    def generate(self: Any, request: Any) -> Any:
        key = (request.prompt, request.aspect_ratio, request.style_preset, request.source_image)
        if key not in made:
            made[key] = render(self, request)
        return made[key]

    LocalProceduralProvider.generate = generate  # type: ignore[method-assign]
    try:
        yield
    finally:
        LocalProceduralProvider.generate = render  # type: ignore[method-assign]


def workload_rows(measurer: Measurer, gallery: Gallery, export_items: int) -> list[Row]:
    """Rows bench/cost/ needs beyond the table: a job status poll, a thumbnail through its media
    link, and exports of one and of ``export_items`` items (API side, the worker, its cost per
    item and per job, a status poll)."""
    from galleria_local.in_process import LambdaContext, job_message, sqs_event

    key = gallery.key
    accepted = measurer.request(
        "POST",
        "/api/v1/generate-image",
        key,
        202,
        json_body={"prompt": "A lighthouse", "model": "local/procedural", "async": True},
    ).json()["jobId"]
    measurer.stack.deliver(accepted)
    page = measurer.request("GET", "/api/v1/gallery", key, 200).json()
    thumbnail = urlsplit(page["items"][0]["thumbnailUrl"]).path
    polls = measurer.rows(
        ("job status (a poll)", lambda: measurer.request("GET", f"/api/v1/jobs/{accepted}", key, 200)),
        ("media link (a thumbnail)", lambda: measurer.request("GET", thumbnail, None, 302)),
    )

    queued: dict[int, list[str]] = {1: [], export_items: []}
    finished: list[str] = []

    def start(items: int) -> Callable[[], None]:
        def run() -> None:
            body = {"itemIds": gallery.bulk_ids[:items]}
            answer = measurer.request("POST", "/api/v1/gallery/exports", key, 202, json_body=body)
            queued[items].append(answer.json()["jobId"])

        return run

    def work(items: int) -> Callable[[], None]:
        def run() -> None:
            job_id = queued[items].pop(0)
            handler = measurer.stack.handler("ExportWorkerFunction")
            result = handler(sqs_event([job_message(job_id, 1)]), LambdaContext())
            if result.get("batchItemFailures"):
                raise RuntimeError(f"the export worker failed a {items}-item job")
            finished.append(job_id)

        return run

    api = measurer.rows(
        (f"export, API side: {export_items} items", start(export_items)),
        ("export, API side: 1 item", start(1)),
    )
    one, many = measurer.rows(
        ("export, worker: 1-item job", work(1)),
        (f"export, worker: {export_items}-item job", work(export_items)),
    )
    per_item = derived("export, worker: per item", many, one, export_items - 1)
    per_job = derived("export, worker: per job", one, per_item, cold_extra=one.cold_extra)
    status = f"/api/v1/gallery/exports/{finished[-1]}"
    poll = measurer.rows(("export status (a poll)", lambda: measurer.request("GET", status, key, 200)))
    return [*polls, *api, one, many, per_item, per_job, *poll]


def _listed(calls: Calls, services: Callable[[str], bool], *, name_service: bool = False) -> str:
    """``GetItem 2, Query 1``: the calls to the services chosen."""
    listed = [
        f"{operation}{f' ({service})' if name_service else ''} {n:g}"
        for (service, operation), n in sorted(calls.items())
        if services(service)
    ]
    return ", ".join(listed) or "–"


def table(rows: list[Row]) -> str:
    lines = [
        "| operation | DynamoDB | items read | S3 | SQS | other | total | cold start adds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [
            row.operation,
            _listed(row.calls, lambda service: service == "dynamodb"),
            f"{row.items_read:g}",
            _listed(row.calls, lambda service: service == "s3"),
            _listed(row.calls, lambda service: service == "sqs"),
            _listed(row.calls, lambda service: service not in MAIN_SERVICES, name_service=True),
            f"{sum(row.calls.values()):g}",
            _listed(row.cold_extra, lambda _: True, name_service=True),
        ]
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines)


@contextmanager
def measuring(
    environment: Mapping[str, str] = ENVIRONMENT, logged: Callable[[], int] = lambda: 0
) -> Iterator[Measurer]:
    """A Measurer on a fresh stack, every galleria client counted, ``environment`` over the
    functions' own; ``logged`` reads how many bytes the handlers have logged so far."""
    import warnings

    from galleria_local.in_process import in_process_stack

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with in_process_stack(overrides=environment) as stack, galleria_clients() as clients:
        yield Measurer(stack, clients, logged)


def operation_rows(measurer: Measurer, gallery: Gallery) -> list[Row]:
    """Every row of the table, on ``gallery``."""
    api = api_rows(measurer, gallery)
    plain = generation_rows(measurer, gallery.key, "", {})
    organised = {"galleryTags": TAGS, "collectionId": gallery.collection}
    into_collection = generation_rows(measurer, gallery.key, " into a collection, two tags", organised)
    return [*api, *plain, *(into_collection[i] for i in (0, 4, 5))]


def measure(items: int, bulk: int) -> list[Row]:
    """Every row of the table, from a fresh stack."""
    with measuring() as measurer:
        return operation_rows(measurer, build_gallery(measurer, items, bulk))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=50, help="gallery items besides the bulk ones")
    parser.add_argument("--bulk", type=int, default=200, help="items each bulk operation takes (1-200)")
    args = parser.parse_args()
    rows = measure(args.items, args.bulk)
    print(f"AWS calls per operation (warm; gallery of {args.items + args.bulk} items):")
    print(table(rows))


if __name__ == "__main__":
    main()
