"""API function: collections and their membership."""

from __future__ import annotations

from galleria.cold_start import handler_loaded  # first: it pauses garbage collection

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from galleria.api.app import create_resolver, current_principal, handle
from galleria.api.docs import no_content
from galleria.api.links import LinkBuilder, base_url
from galleria.api.models.bulk import ItemIdsIn
from galleria.api.models.collections import (
    CollectionIn,
    CollectionItemsAdded,
    CollectionItemsRemoved,
    CollectionList,
    CollectionOut,
    CollectionPatchIn,
)
from galleria.api.paths import PathCollectionId
from galleria.api.presenters.bulk import failed_out
from galleria.api.presenters.collections import collection_out
from galleria.auth import Principal
from galleria.bulk.service import unique_ids
from galleria.collections.service import CollectionsService

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=["botocore"])  # patching all would import httpx at cold start
app = create_resolver()

CallerPrincipal = Annotated[Principal, Depends(current_principal)]


def _links() -> LinkBuilder:
    return LinkBuilder(base_url(app.current_event))


@app.post("/api/v1/gallery/collections", status_code=201)
def create_collection(body: Annotated[CollectionIn, Body()], principal: CallerPrincipal) -> CollectionOut:
    collection = CollectionsService().create(principal.team_id, body.name, body.description)
    return collection_out(collection, _links())


@app.get("/api/v1/gallery/collections")
def list_collections(
    principal: CallerPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> CollectionList:
    page = CollectionsService().page(principal.team_id, limit=limit, cursor=cursor)
    links = _links()
    return CollectionList(
        collections=[collection_out(collection, links) for collection in page.collections],
        next_cursor=page.next_cursor,
    )


@app.get("/api/v1/gallery/collections/<collectionId>")
def get_collection(collection_id: PathCollectionId, principal: CallerPrincipal) -> CollectionOut:
    return collection_out(CollectionsService().get(principal.team_id, collection_id), _links())


@app.patch("/api/v1/gallery/collections/<collectionId>")
def patch_collection(
    collection_id: PathCollectionId, body: Annotated[CollectionPatchIn, Body()], principal: CallerPrincipal
) -> CollectionOut:
    collection = CollectionsService().update(principal.team_id, collection_id, body.patch())
    return collection_out(collection, _links())


@app.delete(
    "/api/v1/gallery/collections/<collectionId>", responses={204: no_content("Deleted; its items stay")}
)
def delete_collection(collection_id: PathCollectionId, principal: CallerPrincipal) -> Response[None]:
    CollectionsService().delete(principal.team_id, collection_id)
    return Response(status_code=204)


@app.post("/api/v1/gallery/collections/<collectionId>/items")
def add_items(
    collection_id: PathCollectionId, body: Annotated[ItemIdsIn, Body()], principal: CallerPrincipal
) -> CollectionItemsAdded:
    result = CollectionsService().add_items(principal.team_id, collection_id, unique_ids(body.item_ids))
    return CollectionItemsAdded(
        added=result.changed,
        failed=failed_out(result.failed),
        collection=collection_out(result.collection, _links()),
    )


@app.delete("/api/v1/gallery/collections/<collectionId>/items")
def remove_items(
    collection_id: PathCollectionId, body: Annotated[ItemIdsIn, Body()], principal: CallerPrincipal
) -> CollectionItemsRemoved:
    result = CollectionsService().remove_items(principal.team_id, collection_id, unique_ids(body.item_ids))
    return CollectionItemsRemoved(
        removed=result.changed,
        failed=failed_out(result.failed),
        collection=collection_out(result.collection, _links()),
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context)


handler_loaded()
