"""API function: gallery items — list, facets, read, organise, trash, download — storage and uploads."""

from __future__ import annotations

from galleria.cold_start import handler_loaded  # first: it pauses garbage collection

from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from galleria.accounts.repository import AccountsRepository
from galleria.api.app import create_resolver, current_principal, handle
from galleria.api.docs import file_answer, no_content, redirect_answer
from galleria.api.links import LinkBuilder, base_url
from galleria.api.models.items import (
    FacetsOut,
    FavoriteOut,
    GalleryPage,
    GalleryQuery,
    ItemDetailOut,
    ItemPatchIn,
    TrashedOut,
)
from galleria.api.models.storage import GalleryStorageOut
from galleria.api.models.uploads import UploadIn, UploadOut, UploadStatusOut
from galleria.api.paths import PathItemId
from galleria.api.presenters.items import (
    facets_out,
    family_out,
    favorite_out,
    gallery_page_out,
    item_detail_out,
    trashed_out,
)
from galleria.api.presenters.storage import storage_out
from galleria.api.presenters.uploads import upload_out, upload_status_out
from galleria.auth import Principal
from galleria.items.service import GalleryService
from galleria.uploads.service import UploadService

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=["botocore"])  # patching all would import httpx at cold start
app = create_resolver()

CallerPrincipal = Annotated[Principal, Depends(current_principal)]
# Routes whose query string is one model (galleria-openapi documents its fields from the model).
QUERY_MODELS = {"GET /api/v1/gallery": GalleryQuery}
Limit = Annotated[int, Query(ge=1, le=100)]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
Cursor = Annotated[str | None, Query(max_length=2000)]


def _links() -> LinkBuilder:
    return LinkBuilder(base_url(app.current_event))


@app.get("/api/v1/gallery")
def list_gallery(principal: CallerPrincipal, query: Annotated[GalleryQuery, Query()]) -> GalleryPage:
    listing = GalleryService().list(
        principal.team_id,
        query.listing_filter(),
        limit=query.limit,
        page=query.page,
        cursor=query.cursor,
        newest_first=query.newest_first,
    )
    return gallery_page_out(listing, _links(), page=query.page, limit=query.limit)


# Fixed paths are registered before /gallery/<itemId>, which would otherwise take them for ids.
@app.get("/api/v1/gallery/facets")
def get_facets(principal: CallerPrincipal) -> FacetsOut:
    return facets_out(GalleryService().facets(principal.team_id))


@app.get("/api/v1/gallery/trash")
def list_trash(
    principal: CallerPrincipal, limit: Limit = 20, page: PageNumber = 1, cursor: Cursor = None
) -> GalleryPage:
    listing = GalleryService().trash_page(principal.team_id, limit=limit, page=page, cursor=cursor)
    return gallery_page_out(listing, _links(), page=page, limit=limit)


@app.get("/api/v1/gallery/storage")
def get_storage(principal: CallerPrincipal) -> GalleryStorageOut:
    return storage_out(AccountsRepository().get_team(principal.team_id))


@app.post("/api/v1/gallery/uploads", status_code=201)
def start_upload(body: Annotated[UploadIn, Body()], principal: CallerPrincipal) -> UploadOut:
    started = UploadService().start(
        principal.team_id, filename=body.filename, content_type=body.content_type, size=body.size
    )
    return upload_out(started)


@app.get("/api/v1/gallery/uploads/<itemId>")
def get_upload(item_id: PathItemId, principal: CallerPrincipal) -> UploadStatusOut:
    upload, item = UploadService().status(principal.team_id, item_id)
    return upload_status_out(upload, item, _links())


@app.get("/api/v1/gallery/<itemId>")
def get_item(item_id: PathItemId, principal: CallerPrincipal) -> ItemDetailOut:
    return family_out(GalleryService().family(principal.team_id, item_id), _links())


@app.patch("/api/v1/gallery/<itemId>")
def patch_item(
    item_id: PathItemId, body: Annotated[ItemPatchIn, Body()], principal: CallerPrincipal
) -> ItemDetailOut:
    item = GalleryService().update(principal.team_id, item_id, body.patch())
    return item_detail_out(item, _links())


@app.post("/api/v1/gallery/<itemId>/favorite")
def toggle_favorite(item_id: PathItemId, principal: CallerPrincipal) -> FavoriteOut:
    item = GalleryService().toggle_favorite(principal.team_id, item_id)
    return favorite_out(item)


@app.delete("/api/v1/gallery/<itemId>")
def trash_item(item_id: PathItemId, principal: CallerPrincipal) -> TrashedOut:
    item = GalleryService().trash(principal.team_id, item_id)
    return trashed_out(item)


@app.post("/api/v1/gallery/<itemId>/restore")
def restore_item(item_id: PathItemId, principal: CallerPrincipal) -> ItemDetailOut:
    item = GalleryService().restore(principal.team_id, item_id)
    return item_detail_out(item, _links())


@app.delete("/api/v1/gallery/<itemId>/forever", responses={204: no_content("Deleted for good")})
def delete_forever(item_id: PathItemId, principal: CallerPrincipal) -> Response[None]:
    GalleryService().delete_forever(principal.team_id, item_id)
    return Response(status_code=204)


@app.get(
    "/api/v1/gallery/<itemId>/download",
    responses={
        200: file_answer("The file, as an attachment", "image/*", "video/*"),
        302: redirect_answer("A file too large to answer inline: a presigned URL"),
    },
)
def download_item(  # type: ignore[no-untyped-def]  # bytes: a return type would make Powertools validate them as JSON
    item_id: PathItemId,
    principal: CallerPrincipal,
    format: Annotated[Literal["png", "jpeg", "webp", "original"] | None, Query()] = None,
):
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
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context)


handler_loaded()
