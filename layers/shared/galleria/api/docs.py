"""The API's documentation as served: the committed OpenAPI document (galleria-openapi writes it,
a test keeps it in step with the code) and Swagger UI, bundled with Powertools, so it works offline.

Also the response documentation a route's return type cannot give (other statuses, files, redirects,
pages), for the routes' ``responses=``."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

_SWAGGER_UI = "aws_lambda_powertools.event_handler.openapi.swagger_ui"
_BINARY = {"type": "string", "format": "binary"}
_LOCATION: OpenAPIResponseHeader = {
    "description": "Where to go next",
    "schema": {"type": "string", "format": "uri"},
}


@cache
def openapi_document() -> str:
    return resources.files("galleria.api").joinpath("openapi.json").read_text(encoding="utf-8")


@cache
def swagger_page() -> str:
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    assets = Path(str(resources.files(_SWAGGER_UI)))
    return generate_swagger_html(
        spec=openapi_document(),
        swagger_js=(assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        swagger_css=(assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
    )


def json_answer(description: str, model: Any) -> OpenAPIResponse:
    """A JSON body of ``model`` (a pydantic model or a union of them)."""
    return {"description": description, "content": {"application/json": {"model": model}}}


def json_document_answer(description: str) -> OpenAPIResponse:
    """A JSON document with no model of its own (such as the OpenAPI document)."""
    return {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}


def file_answer(description: str, *media_types: str) -> OpenAPIResponse:
    """The bytes of a file (media ranges such as ``image/*`` allowed)."""
    return {"description": description, "content": {media: {"schema": _BINARY} for media in media_types}}


def page_answer(description: str, json_model: Any = None) -> OpenAPIResponse:
    """An HTML page; with ``json_model``, the same as JSON for ``Accept: application/json``."""
    content: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}
    if json_model is not None:
        content["application/json"] = {"model": json_model}
    return {"description": description, "content": content}


def redirect_answer(description: str) -> OpenAPIResponse:
    """A redirect: no body worth reading, the target in ``Location``. (An empty ``content`` keeps
    Powertools from documenting the route's JSON return type here.)"""
    return {"description": description, "headers": {"Location": _LOCATION}, "content": {}}


def no_content(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {}}
