"""API function: share links of items and collections — create, read, change, revoke, history."""

from __future__ import annotations

from galleria.cold_start import handler_loaded  # first: it pauses garbage collection

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from galleria.api.app import create_resolver, current_principal, handle, json_response
from galleria.api.docs import json_answer
from galleria.api.links import LinkBuilder, base_url
from galleria.api.models.shares import ShareIn, ShareList, ShareOut, SharePatchIn
from galleria.api.paths import PathCollectionId, PathItemId
from galleria.api.presenters.shares import share_out
from galleria.auth import Principal
from galleria.domain.shares import ShareTarget
from galleria.shares.service import SharesService

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=["botocore"])  # patching all would import httpx at cold start
app = create_resolver()

CallerPrincipal = Annotated[Principal, Depends(current_principal)]
# A share is idempotent: while one is active, asking again answers it (200) instead of a new one (201).
SHARE_ANSWERS = {
    201: json_answer("A new share link", ShareOut),
    200: json_answer("The active share link, unchanged", ShareOut),
}


def _links() -> LinkBuilder:
    return LinkBuilder(base_url(app.current_event))


def _create(team_id: str, target: ShareTarget, target_id: str, body: ShareIn) -> Response[ShareOut]:
    share, created = SharesService().share(team_id, target, target_id, body.options())
    return json_response(201 if created else 200, share_out(share, _links()))


def _history(team_id: str, target: ShareTarget, target_id: str) -> ShareList:
    shares = SharesService().history(team_id, target, target_id)
    return ShareList(shares=[share_out(share, _links()) for share in shares])


# --- items ---------------------------------------------------------------------------------
@app.post("/api/v1/gallery/<itemId>/share", responses=SHARE_ANSWERS)
def share_item(
    item_id: PathItemId, principal: CallerPrincipal, body: Annotated[ShareIn | None, Body()] = None
) -> Response[ShareOut]:
    return _create(principal.team_id, ShareTarget.ITEM, item_id, body or ShareIn())


@app.get("/api/v1/gallery/<itemId>/share")
def get_item_share(item_id: PathItemId, principal: CallerPrincipal) -> ShareOut:
    return share_out(SharesService().get(principal.team_id, ShareTarget.ITEM, item_id), _links())


@app.patch("/api/v1/gallery/<itemId>/share")
def patch_item_share(
    item_id: PathItemId, body: Annotated[SharePatchIn, Body()], principal: CallerPrincipal
) -> ShareOut:
    share = SharesService().update(principal.team_id, ShareTarget.ITEM, item_id, body.options())
    return share_out(share, _links())


@app.delete("/api/v1/gallery/<itemId>/share")
def revoke_item_share(item_id: PathItemId, principal: CallerPrincipal) -> ShareOut:
    share = SharesService().revoke(principal.team_id, ShareTarget.ITEM, item_id)
    return share_out(share, _links())


@app.get("/api/v1/gallery/<itemId>/shares")
def list_item_shares(item_id: PathItemId, principal: CallerPrincipal) -> ShareList:
    return _history(principal.team_id, ShareTarget.ITEM, item_id)


# --- collections ---------------------------------------------------------------------------
@app.post("/api/v1/gallery/collections/<collectionId>/share", responses=SHARE_ANSWERS)
def share_collection(
    collection_id: PathCollectionId,
    principal: CallerPrincipal,
    body: Annotated[ShareIn | None, Body()] = None,
) -> Response[ShareOut]:
    return _create(principal.team_id, ShareTarget.COLLECTION, collection_id, body or ShareIn())


@app.get("/api/v1/gallery/collections/<collectionId>/share")
def get_collection_share(collection_id: PathCollectionId, principal: CallerPrincipal) -> ShareOut:
    return share_out(SharesService().get(principal.team_id, ShareTarget.COLLECTION, collection_id), _links())


@app.patch("/api/v1/gallery/collections/<collectionId>/share")
def patch_collection_share(
    collection_id: PathCollectionId, body: Annotated[SharePatchIn, Body()], principal: CallerPrincipal
) -> ShareOut:
    share = SharesService().update(principal.team_id, ShareTarget.COLLECTION, collection_id, body.options())
    return share_out(share, _links())


@app.delete("/api/v1/gallery/collections/<collectionId>/share")
def revoke_collection_share(collection_id: PathCollectionId, principal: CallerPrincipal) -> ShareOut:
    share = SharesService().revoke(principal.team_id, ShareTarget.COLLECTION, collection_id)
    return share_out(share, _links())


@app.get("/api/v1/gallery/collections/<collectionId>/shares")
def list_collection_shares(collection_id: PathCollectionId, principal: CallerPrincipal) -> ShareList:
    return _history(principal.team_id, ShareTarget.COLLECTION, collection_id)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context)


handler_loaded()
