"""API function: bulk delete, restore, tag and collect (1–200 ids, each failing on its own)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from galleria.api.app import create_resolver, current_principal, handle
from galleria.api.presenters import failed_out
from galleria.api.schemas import BulkCollectIn, BulkOut, BulkTagIn, ItemIdsIn
from galleria.auth import Principal
from galleria.bulk.service import BulkResult, BulkService
from galleria.items.organise import TagMode
from galleria.tags import normalise_tags

logger = Logger()
metrics = Metrics()
app = create_resolver()

CallerPrincipal = Annotated[Principal, Depends(current_principal)]


def _out(result: BulkResult) -> BulkOut:
    return BulkOut(succeeded=result.succeeded, failed=failed_out(result.failed))


@app.post("/api/v1/gallery/bulk/delete")
def bulk_delete(body: Annotated[ItemIdsIn, Body()], principal: CallerPrincipal) -> BulkOut:
    return _out(BulkService().delete(principal.team_id, body.item_ids))


@app.post("/api/v1/gallery/bulk/restore")
def bulk_restore(body: Annotated[ItemIdsIn, Body()], principal: CallerPrincipal) -> BulkOut:
    return _out(BulkService().restore(principal.team_id, body.item_ids))


@app.post("/api/v1/gallery/bulk/tag")
def bulk_tag(body: Annotated[BulkTagIn, Body()], principal: CallerPrincipal) -> BulkOut:
    tags = normalise_tags(body.tags)
    return _out(BulkService().tag(principal.team_id, body.item_ids, tags, TagMode(body.mode)))


@app.post("/api/v1/gallery/bulk/collect")
def bulk_collect(body: Annotated[BulkCollectIn, Body()], principal: CallerPrincipal) -> BulkOut:
    return _out(BulkService().collect(principal.team_id, body.item_ids, body.collection_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context)
