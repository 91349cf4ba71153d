"""Scheduled function: removes trashed items past their purgeAt that are still there."""

from __future__ import annotations

from galleria.cold_start import handler_loaded  # first: it pauses garbage collection

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from galleria.items.purge import TrashPurge

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=["botocore"])  # patching all would import httpx at cold start


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = TrashPurge().sweep(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="ItemsPurged", unit=MetricUnit.Count, value=report.purged)
    logger.info("Trash purge finished", extra={"purged": report.purged, "finished": report.finished})
    return {"purged": report.purged, "finished": report.finished}


handler_loaded()
