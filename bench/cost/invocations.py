"""Every invocation a month of the workload makes, and what each does, from the measured rows."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from bench.aws_calls_per_operation import Row
from bench.cost.estimates import EXPORT_STATUS_POLLS
from bench.cost.measure import Measured
from bench.cost.workload import Workload

EXPORT_PART_BYTES = 8 * 1024 * 1024  # galleria.exports.archive.PART_SIZE
GENERATE_API = ("generate, API side: 1 image", "generate, API side: 4 images")
FUNCTION_BY_PREFIX = (  # the function each measured row ran in, by the start of the row's name
    ("generate", "GenerateApiFunction"),
    ("job status", "GenerateApiFunction"),
    ("list", "GalleryApiFunction"),
    ("get", "GalleryApiFunction"),
    ("patch", "GalleryApiFunction"),
    ("favorite", "GalleryApiFunction"),
    ("delete", "GalleryApiFunction"),
    ("restore", "GalleryApiFunction"),
    ("bulk", "BulkApiFunction"),
    ("share view", "PublicApiFunction"),
    ("media link", "PublicApiFunction"),
    ("export", "BulkApiFunction"),
)
ESM_DELETE = {("sqs", "DeleteMessageBatch (event source mapping)"): 1.0}


@dataclass(frozen=True)
class Work:
    """What one invocation does: AWS calls, DynamoDB units, seconds, bytes answered and logged."""

    calls: Mapping[tuple[str, str], float]
    read_units: float
    write_units: float
    seconds: float
    response_bytes: float
    log_bytes: float

    @staticmethod
    def of(*terms: tuple[float, Row]) -> Work:
        """The sum of weight × row."""
        calls: dict[tuple[str, str], float] = defaultdict(float)
        for weight, row in terms:
            for key, n in row.calls.items():
                calls[key] += weight * n

        def total(name: str) -> float:
            return sum(weight * float(getattr(row, name)) for weight, row in terms)

        return Work(
            dict(calls),
            total("read_units"),
            total("write_units"),
            max(0.0, total("seconds")),
            total("response_bytes"),
            total("log_bytes"),
        )

    def plus_calls(self, extra: Mapping[tuple[str, str], float]) -> Work:
        calls = dict(self.calls)
        for key, n in extra.items():
            calls[key] = calls.get(key, 0) + n
        return replace(self, calls=calls)


@dataclass(frozen=True)
class Use:
    group: str  # generation, gallery read, share view, export
    function: str
    work: Work
    per_month: float
    api: bool = True  # through API Gateway (else an SQS event source)
    arrivals: float | None = None  # of them, how many may find no warm environment (None: all)
    continues: str | None = None  # the function whose request it carries on (and whose trace it joins)


def function_of(row_name: str) -> str:
    """The function a measured row ran in."""
    if ", worker" in row_name:
        return "GenerationWorkerFunction" if row_name.startswith("generate") else "ExportWorkerFunction"
    return next(function for prefix, function in FUNCTION_BY_PREFIX if row_name.startswith(prefix))


def uses(measured: Measured, workload: Workload) -> list[Use]:
    """Every invocation the workload makes in a month, with what each does."""
    rows, w = measured.rows, workload
    images, items = w.images_per_generation, w.items_per_export
    api_1, api_4 = (rows[name] for name in GENERATE_API)
    export_api = next(
        row for name, row in rows.items() if name.startswith("export, API side") and "1 item" not in name
    )
    request = Work.of((1 - (images - 1) / 3, api_1), ((images - 1) / 3, api_4))  # 1 to 4 images, linear
    worker = Work.of((1, rows["generate, worker: per job"]), (images, rows["generate, worker: per image"]))
    export = Work.of((1, rows["export, worker: per job"]), (items, rows["export, worker: per item"]))
    zip_bytes = items * w.image_mb * 1024 * 1024
    if zip_bytes > EXPORT_PART_BYTES:  # a multipart upload (create, the parts, complete), not one put
        parts = {"PutObject": -1, "CreateMultipartUpload": 1, "CompleteMultipartUpload": 1,
                 "UploadPart": math.ceil(zip_bytes / EXPORT_PART_BYTES)}  # fmt: skip
        export = export.plus_calls({("s3", op): n for op, n in parts.items()})

    def one(name: str) -> Work:
        return Work.of((1, rows[name]))

    # fmt: off
    return [
        Use("generation", "GenerateApiFunction", request, w.generations),
        Use("generation", "GenerateApiFunction", one("job status (a poll)"), w.generations * w.status_polls,
            arrivals=0),  # a second after the request: warm
        Use("generation", "GenerationWorkerFunction", worker.plus_calls(ESM_DELETE), w.generations,
            api=False, continues="GenerateApiFunction"),
        Use("generation", "GalleryApiFunction", one("get"), w.generations * images,  # each image made
            arrivals=w.generations),
        Use("gallery read", "GalleryApiFunction", one("list (a page of 20)"), w.gallery_reads),
        Use("gallery read", "PublicApiFunction", one("media link (a thumbnail)"),
            w.gallery_reads * w.thumbnails_per_read, arrivals=w.gallery_reads),
        Use("share view", "PublicApiFunction", one("share view: the page"), w.share_views),
        Use("share view", "PublicApiFunction", one("share view: its image"), w.share_views, arrivals=0),
        Use("export", "BulkApiFunction", Work.of((1, export_api)), w.exports),
        Use("export", "ExportWorkerFunction", export.plus_calls(ESM_DELETE), w.exports, api=False,
            continues="BulkApiFunction"),
        Use("export", "BulkApiFunction", one("export status (a poll)"), w.exports * EXPORT_STATUS_POLLS,
            arrivals=0),
    ]
    # fmt: on
