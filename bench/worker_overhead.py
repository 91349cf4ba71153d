"""Generation worker overhead per image, the provider call excluded: what the worker adds to each image
a model returns (header read, thumbnails, S3 puts, DynamoDB writes, and the rest of its own code).

Provisions template.yaml in moto in-process and queues jobs of one and of four images through the
API (untimed). The worker's handler then runs each job with a provider whose image is ready at once
(a photo-like 1024² PNG, the image pipeline benchmark's fixture). Per job it times the invocation,
the time inside galleria's image functions (``image_info``, ``make_thumbnails``) and inside S3 and
DynamoDB calls (botocore before/after-call hooks, bench/aws_calls.py). A four-image job runs its
images on four threads, so its parts overlap and are not split further.

Interleaved with the jobs, in an order that rotates each round, two floors are timed: the same
image functions called alone, and the storage an image needs done with plain calls (three
PutObject of the same sizes, one TransactWriteItems putting an item record of the worker's). The
worker's time over the sum of the floors, taken within each round, says how much it adds beyond
the work it cannot skip. AWS times are moto's, in this process: they show the worker's own costs
around each call, not AWS's latencies.

    .venv/bin/python -m bench.worker_overhead [--rounds 15]
"""

from __future__ import annotations

import argparse
import functools
import io
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from bench.aws_calls import counting

JOB_SIZES = (1, 4)
QUIET = {
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}
WORKER, IMAGES, S3, DYNAMODB = "worker", "image functions", "S3 calls", "DynamoDB calls"
IMAGE_FLOOR, STORAGE_FLOOR, RATIO = "image floor", "storage floor", "worker / floors"


@dataclass(frozen=True)
class InstantProvider:
    """A model whose image is ready at once: the same PNG for every request."""

    data: bytes

    def generate(self, request: Any) -> Any:
        from galleria.providers.base import ProviderImage

        return ProviderImage(
            data=self.data,
            mime_type="image/png",
            provider="bench",
            model_version="instant",
            seed_used=request.seed,
        )


@dataclass
class Samples:
    """Per image, one value per round, by what was measured."""

    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        return statistics.median(self.values[name])


@contextmanager
def time_spent_in(functions: list[tuple[Any, str]]) -> Iterator[list[float]]:
    """Seconds of every call to the given module functions, from any thread, while open."""
    spent: list[float] = []

    def timed(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - started)

        return call

    with ExitStack() as patches:
        for module, name in functions:
            patches.enter_context(mock.patch.object(module, name, timed(getattr(module, name))))
        yield spent


def fixture_png() -> bytes:
    from bench.image_pipeline import photo_like

    buffer = io.BytesIO()
    photo_like(1024, seed=1).save(buffer, "PNG")
    return buffer.getvalue()


class Bench:
    """The stack, a team with queued jobs, and what each measurement needs."""

    def __init__(self, stack: Any, png: bytes, rounds: int) -> None:
        from galleria.domain.teams import Plan
        from galleria_local.in_process import create_team

        self.stack = stack
        self.png = png
        self.team = create_team(plan=Plan.ENTERPRISE, credits=100 * rounds * sum(JOB_SIZES))
        # One job per round and size, and one more for the record the storage floor copies.
        self.jobs = {size: [self._queue(size) for _ in range(rounds + 2)] for size in JOB_SIZES}
        self.record: dict[str, Any] | None = None  # an item record the worker wrote
        self.thumbnails = self._thumbnails()
        self.floors_run = 0

    def _queue(self, images: int) -> str:
        body = {"prompt": "A lighthouse", "model": "local/procedural", "numImages": images, "async": True}
        accepted = self.stack.request("POST", "/api/v1/generate-image", key=self.team.key, json_body=body)
        if accepted.status != 202:
            raise RuntimeError(f"generation refused: {accepted.status} {accepted.body!r}")
        return str(accepted.json()["jobId"])

    def run_job(self, images: int, samples: Samples) -> None:
        """One queued job through the worker's handler, timed and split per image."""
        from galleria import aws
        from galleria.generation import worker
        from galleria.imaging import convert, thumbnails

        job_id = self.jobs[images].pop()
        provider = InstantProvider(self.png)
        image_functions = [(convert, "image_info"), (thumbnails, "make_thumbnails")]
        with (
            mock.patch.object(worker, "provider_for", return_value=provider),
            counting(aws.client("dynamodb"), aws.client("s3")) as calls,
            time_spent_in(image_functions) as imaging,
        ):
            started = time.perf_counter()
            result = self.stack.deliver(job_id)
            wall = time.perf_counter() - started
        if result.get("batchItemFailures") or calls.by_service["s3"]["PutObject"] != 3 * images:
            raise RuntimeError(f"the worker did not store the {images} images of {job_id}")
        samples.add(f"{WORKER} {images}", wall / images)
        samples.add(f"{IMAGES} {images}", sum(imaging) / images)
        samples.add(f"{S3} {images}", calls.seconds["s3"] / images)
        samples.add(f"{DYNAMODB} {images}", calls.seconds["dynamodb"] / images)
        if self.record is None:
            self.record = self._item_record(job_id)

    def _item_record(self, job_id: str) -> dict[str, Any]:
        from galleria import aws
        from galleria.items.records import item_key
        from galleria.items.repository import ItemsRepository
        from galleria.jobs.repository import JobsRepository

        job = JobsRepository().find(job_id)
        if job is None:
            raise RuntimeError(f"job {job_id} is gone")
        key = item_key(self.team.team_id, job.item_ids[0])
        return aws.client("dynamodb").get_item(TableName=ItemsRepository().table, Key=key)["Item"]

    def _thumbnails(self) -> dict[int, bytes]:
        from galleria.generation.worker import THUMBNAIL_SIZES
        from galleria.imaging.thumbnails import make_thumbnails

        return make_thumbnails(self.png, sizes=THUMBNAIL_SIZES)

    def image_floor(self, samples: Samples) -> None:
        """The worker's image functions alone, on the same image."""
        from galleria.imaging.convert import image_info

        started = time.perf_counter()
        image_info(self.png)
        self._thumbnails()
        samples.add(IMAGE_FLOOR, time.perf_counter() - started)

    def storage_floor(self, samples: Samples) -> None:
        """What storing one image takes at the least: its three objects and one transaction."""
        from galleria import aws
        from galleria.config import get_settings
        from galleria.items.records import item_key

        if self.record is None:
            raise RuntimeError("run a job first: the floor writes a record like the worker's")
        self.floors_run += 1
        settings, s3 = get_settings(), aws.client("s3")
        prefix = f"tmp/{self.team.team_id}/bench/{self.floors_run}"
        record = {**self.record, **item_key(self.team.team_id, f"floor{self.floors_run}")}
        started = time.perf_counter()
        s3.put_object(Bucket=settings.media_bucket, Key=f"{prefix}/original.png", Body=self.png)
        for size, data in self.thumbnails.items():
            s3.put_object(Bucket=settings.media_bucket, Key=f"{prefix}/{size}.webp", Body=data)
        aws.client("dynamodb").transact_write_items(
            TransactItems=[{"Put": {"TableName": settings.items_table, "Item": record}}]
        )
        samples.add(STORAGE_FLOOR, time.perf_counter() - started)


def measure(rounds: int) -> Samples:
    """``rounds`` timed rounds after one untimed round; the order of the steps rotates each round."""
    import warnings

    from galleria_local.in_process import in_process_stack

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    png = fixture_png()
    samples = Samples()
    with in_process_stack(overrides=QUIET) as stack:
        bench = Bench(stack, png, rounds)
        bench.run_job(JOB_SIZES[0], Samples())  # an item record for the storage floor to copy
        for number in range(rounds + 1):
            measured = samples if number else Samples()  # the first round warms up
            steps: list[Callable[[], Any]] = [
                *(functools.partial(bench.run_job, size, measured) for size in JOB_SIZES),
                functools.partial(bench.image_floor, measured),
                functools.partial(bench.storage_floor, measured),
            ]
            shift = number % len(steps)
            for step in steps[shift:] + steps[:shift]:
                step()
            if number:
                floors = measured.values[IMAGE_FLOOR][-1] + measured.values[STORAGE_FLOOR][-1]
                for size in JOB_SIZES:
                    measured.add(f"{RATIO} {size}", measured.values[f"{WORKER} {size}"][-1] / floors)
    return samples


def table(samples: Samples, rounds: int) -> str:
    def ms(name: str) -> str:
        return f"{samples.median(name) * 1000:.1f}"

    one, four = JOB_SIZES
    rest = (
        samples.median(f"{WORKER} {one}")
        - samples.median(f"{IMAGES} {one}")
        - samples.median(f"{S3} {one}")
        - samples.median(f"{DYNAMODB} {one}")
    )
    rows = [
        ("worker invocation, per image", ms(f"{WORKER} {one}"), ms(f"{WORKER} {four}")),
        ("· in image_info + make_thumbnails", ms(f"{IMAGES} {one}"), f"({ms(f'{IMAGES} {four}')})"),
        ("· in S3 calls (3 PutObject)", ms(f"{S3} {one}"), f"({ms(f'{S3} {four}')})"),
        (
            "· in DynamoDB calls (the job's shared out)",
            ms(f"{DYNAMODB} {one}"),
            f"({ms(f'{DYNAMODB} {four}')})",
        ),
        ("· the rest (handler, models, hashing, threads)", f"{rest * 1000:.1f}", "–"),
        ("floor: image_info + make_thumbnails alone", ms(IMAGE_FLOOR), ms(IMAGE_FLOOR)),
        ("floor: 3 PutObject + 1 TransactWriteItems alone", ms(STORAGE_FLOOR), ms(STORAGE_FLOOR)),
        (
            "worker / (both floors)",
            f"{samples.median(f'{RATIO} {one}'):.2f}",
            f"{samples.median(f'{RATIO} {four}'):.2f}",
        ),
    ]
    lines = [
        f"Generation worker overhead, provider excluded: ms per image, median of {rounds} rounds",
        f"| | {one}-image job | {four}-image job (parts overlap: {four} threads) |",
        "|---|---|---|",
        *(f"| {name} | {a} | {b} |" for name, a, b in rows),
    ]
    return "\n".join(lines)


def main() -> None:
    from bench.image_pipeline import machine_and_libraries

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    samples = measure(args.rounds)
    print(table(samples, args.rounds))
    print(f"Machine: {machine_and_libraries()}")


if __name__ == "__main__":
    main()
