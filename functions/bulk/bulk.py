"""API function: bulk delete, restore, tag and collect (1–200 ids, each failing on its own), and ZIP
exports (up to 500 ids)."""

from __future__ import annotations

from galleria.cold_start import handler_loaded  # first: it pauses garbage collection

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from galleria.api.app import create_resolver, current_principal, handle
from galleria.api.docs import file_answer, json_answer, redirect_answer
from galleria.api.exports import (
    BULK_DOWNLOAD_WAIT_SECONDS,
    bulk_download_answer,
    export_out,
    export_status_url,
)
from galleria.api.idempotency import idempotent_response
from galleria.api.models.bulk import BulkCollectIn, BulkOut, BulkTagIn, ItemIdsIn
from galleria.api.models.exports import ExportIn, ExportOut
from galleria.api.models.jobs import JobAccepted
from galleria.api.paths import PathJobId
from galleria.api.presenters.bulk import bulk_out
from galleria.api.presenters.jobs import job_accepted
from galleria.auth import Principal
from galleria.bulk.service import BulkService
from galleria.config import get_settings
from galleria.domain.jobs import Job
from galleria.exports.service import ExportService
from galleria.items.organise import TagMode
from galleria.storage import MediaStorage

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=["botocore"])  # patching all would import httpx at cold start
app = create_resolver()

CallerPrincipal = Annotated[Principal, Depends(current_principal)]


@app.post("/api/v1/gallery/bulk/delete")
def bulk_delete(body: Annotated[ItemIdsIn, Body()], principal: CallerPrincipal) -> BulkOut:
    return bulk_out(BulkService().delete(principal.team_id, body.item_ids))


@app.post("/api/v1/gallery/bulk/restore")
def bulk_restore(body: Annotated[ItemIdsIn, Body()], principal: CallerPrincipal) -> BulkOut:
    return bulk_out(BulkService().restore(principal.team_id, body.item_ids))


@app.post("/api/v1/gallery/bulk/tag")
def bulk_tag(body: Annotated[BulkTagIn, Body()], principal: CallerPrincipal) -> BulkOut:
    tags = body.normalised_tags()
    return bulk_out(BulkService().tag(principal.team_id, body.item_ids, tags, TagMode(body.mode)))


@app.post("/api/v1/gallery/bulk/collect")
def bulk_collect(body: Annotated[BulkCollectIn, Body()], principal: CallerPrincipal) -> BulkOut:
    return bulk_out(BulkService().collect(principal.team_id, body.item_ids, body.collection_id))


# --- ZIP exports ---------------------------------------------------------------------------------
def _export_out(job: Job) -> ExportOut:
    return export_out(job, MediaStorage())


@app.post(
    "/api/v1/gallery/bulk/download",
    responses={
        200: file_answer("The ZIP archive, when it is small", "application/zip"),
        202: json_answer("Still being made: follow statusUrl", JobAccepted),
        303: redirect_answer("A larger archive: its download URL"),
    },
)
def bulk_download(body: Annotated[ExportIn, Body()], principal: CallerPrincipal):  # type: ignore[no-untyped-def]  # bytes: a return type would make Powertools validate them as JSON
    """Wait up to ~20 s: a small archive comes back itself, a larger one as a redirect, else 202."""
    service = ExportService()
    job = service.start(principal.team_id, body.item_ids, body.format)
    remaining = app.lambda_context.get_remaining_time_in_millis() / 1000 - 3
    job = service.wait(
        job, max(0.0, min(BULK_DOWNLOAD_WAIT_SECONDS, get_settings().sync_wait_seconds, remaining))
    )
    answer = bulk_download_answer(job, MediaStorage())
    return Response(
        status_code=answer.status,
        content_type=answer.content_type,
        body=answer.body,
        headers=answer.headers,
        compress=False,
    )


@app.post("/api/v1/gallery/exports", status_code=202)
def start_export(body: Annotated[ExportIn, Body()], principal: CallerPrincipal) -> Response[JobAccepted]:
    def export() -> tuple[int, dict[str, Any]]:
        job = ExportService().start(principal.team_id, body.item_ids, body.format)
        return 202, job_accepted(job, export_status_url(job)).model_dump(by_alias=True)

    return idempotent_response(app, "export", principal.team_id, body.model_dump(mode="json"), export)


@app.get("/api/v1/gallery/exports/<jobId>")
def get_export(job_id: PathJobId, principal: CallerPrincipal) -> ExportOut:
    return _export_out(ExportService().get(principal.team_id, job_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context)


handler_loaded()
