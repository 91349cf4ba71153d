"""API function: gallery items — list, read, download — and the team's storage."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from galleria.accounts.repository import AccountsRepository
from galleria.api.app import create_resolver, current_principal, handle
from galleria.api.links import LinkBuilder, base_url
from galleria.api.presenters import item_out, storage_out
from galleria.api.schemas import GalleryPage, GalleryStorageOut, ItemDetailOut, ItemId
from galleria.auth import Principal
from galleria.items.service import GalleryService

logger = Logger()
metrics = Metrics()
app = create_resolver()

CallerPrincipal = Annotated[Principal, Depends(current_principal)]
PathItemId = Annotated[ItemId, Path(alias="itemId")]


def _links() -> LinkBuilder:
    return LinkBuilder(base_url(app.current_event))


@app.get("/api/v1/gallery")
def list_gallery(
    principal: CallerPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    page: Annotated[int, Query(ge=1)] = 1,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> GalleryPage:
    listing = GalleryService().list(principal.team_id, limit=limit, page=page, cursor=cursor)
    links = _links()
    return GalleryPage(
        items=[item_out(item, links) for item in listing.page.items],
        total=listing.total,
        page=page,
        page_size=limit,
        next_cursor=listing.page.next_cursor,
    )


# Registered before /gallery/<itemId>, which would otherwise take "storage" for an item id.
@app.get("/api/v1/gallery/storage")
def get_storage(principal: CallerPrincipal) -> GalleryStorageOut:
    return storage_out(AccountsRepository().get_team(principal.team_id))


@app.get("/api/v1/gallery/<itemId>")
def get_item(item_id: PathItemId, principal: CallerPrincipal) -> ItemDetailOut:
    item = GalleryService().get(principal.team_id, item_id)
    return ItemDetailOut(**item_out(item, _links()).model_dump())


@app.get("/api/v1/gallery/<itemId>/download")
def download_item(
    item_id: PathItemId,
    principal: CallerPrincipal,
    format: Annotated[Literal["png", "jpeg", "webp", "original"], Query()] = "png",
):  # binary or a redirect: no response model to validate against
    download = GalleryService().download(principal.team_id, item_id, format)
    disposition = {"Content-Disposition": f'attachment; filename="{download.filename}"'}
    if download.redirect_url:
        return Response(status_code=302, headers={"Location": download.redirect_url, **disposition})
    return Response(
        status_code=200,
        content_type=download.content_type,
        body=download.data,
        headers={**disposition, "Cache-Control": "private, max-age=300"},
        compress=False,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context)
