"""API function, no authentication: permanent signed media links, share-link pages, the public feed,
and the API's documentation (OpenAPI and Swagger UI)."""

from __future__ import annotations

from galleria.cold_start import handler_loaded  # first: it pauses garbage collection

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from galleria.api.app import create_resolver, handle
from galleria.api.docs import (
    json_answer,
    json_document_answer,
    openapi_document,
    page_answer,
    redirect_answer,
    swagger_page,
)
from galleria.api.links import LinkBuilder, base_url
from galleria.api.models.public import PublicGalleryPage
from galleria.api.models.share_pages import SharedLinkOut
from galleria.api.public_gallery import public_gallery_page
from galleria.api.share_pages import SharePages
from galleria.api.static_app import FILE_ANSWERS, PAGE_ANSWERS, AppFiles
from galleria.items.media import resolve_media_link, resolve_public_media

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=["botocore"])  # patching all would import httpx at cold start
app = create_resolver()

PUBLIC_ROUTES = frozenset(
    {
        "GET /media/{teamId}/{itemId}/{rendition}/{signature}",
        "GET /share/{token}",
        "POST /share/{token}",
        "GET /share/{token}/download",
        "GET /share/{token}/items/{itemId}/image",
        "GET /share/{token}/items/{itemId}/download",
        "GET /api/v1/public/gallery",
        "GET /public/{itemId}/{rendition}",
        "GET /api/v1/openapi.json",
        "GET /api/v1/docs",
        "GET /app",
        "GET /app/{file}",
    }
)
# The presigned URL lives 15 minutes; a browser may reuse the redirect for 5 of them.
REDIRECT_CACHE_CONTROL = "private, max-age=300"
TO_THE_FILE = {302: redirect_answer("A presigned URL of the file, valid for up to 15 minutes")}


@app.get("/media/<teamId>/<itemId>/<rendition>/<signature>", responses=TO_THE_FILE)
def get_media(teamId: str, itemId: str, rendition: str, signature: str) -> Response[None]:
    url = resolve_media_link(teamId, itemId, rendition, signature)
    return Response(status_code=302, headers={"Location": url, "Cache-Control": REDIRECT_CACHE_CONTROL})


@app.get("/public/<itemId>/<rendition>", responses=TO_THE_FILE)
def get_public_media(itemId: str, rendition: str) -> Response[None]:
    url = resolve_public_media(itemId, rendition)
    return Response(status_code=302, headers={"Location": url, "Cache-Control": REDIRECT_CACHE_CONTROL})


@app.get("/share/<token>", responses={200: page_answer("The shared image or collection", SharedLinkOut)})
def show_share(token: str) -> Response[Any]:
    return SharePages(app.current_event).show(token)


@app.post(
    "/share/<token>",
    responses={
        200: json_answer("Unlocked, for Accept: application/json: the page as JSON", SharedLinkOut),
        303: redirect_answer("Unlocked: back to the page, with the access cookie"),
    },
)
def unlock_share(token: str) -> Response[Any]:
    return SharePages(app.current_event).unlock(token)


@app.get("/share/<token>/download", responses=TO_THE_FILE)
def download_shared_item(token: str) -> Response[Any]:
    return SharePages(app.current_event).download(token)


@app.get("/share/<token>/items/<itemId>/image", responses=TO_THE_FILE)
def shared_image(token: str, itemId: str) -> Response[Any]:
    return SharePages(app.current_event).image(token, itemId)


@app.get("/share/<token>/items/<itemId>/download", responses=TO_THE_FILE)
def download_shared_image(token: str, itemId: str) -> Response[Any]:
    return SharePages(app.current_event).download(token, itemId)


@app.get("/api/v1/public/gallery")
def public_gallery(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> PublicGalleryPage:
    links = LinkBuilder(base_url(app.current_event))
    return public_gallery_page(links, limit=limit, page=page, cursor=cursor)


@app.get("/api/v1/openapi.json", responses={200: json_document_answer("This OpenAPI document")})
def openapi_json() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=openapi_document(),
        headers={"Cache-Control": "public, max-age=300"},
    )


@app.get("/api/v1/docs", responses={200: page_answer("Swagger UI")})
def swagger_ui() -> Response[Any]:
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=swagger_page())


APP_FILES = AppFiles.beside(__file__)  # the gallery page's files (app/), read when asked for


@app.get("/app", summary="The gallery page", responses=PAGE_ANSWERS)
@app.get("/app/", include_in_schema=False)  # API Gateway sends /app/ to the /app route as it is
def gallery_page():  # type: ignore[no-untyped-def]  # bytes: a return type would make Powertools validate them as JSON
    return APP_FILES.answer(app.current_event)


@app.get("/app/<file>", summary="A file of the gallery page", responses=FILE_ANSWERS)
def gallery_page_file(file: str):  # type: ignore[no-untyped-def]  # bytes: a return type would make Powertools validate them as JSON
    return APP_FILES.answer(app.current_event, file)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context, public_routes=PUBLIC_ROUTES)


handler_loaded()
