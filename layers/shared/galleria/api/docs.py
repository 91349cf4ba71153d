"""The API's documentation as served: the committed OpenAPI document (galleria-openapi writes it,
a test keeps it in step with the code) and Swagger UI, bundled with Powertools, so it works offline."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

_SWAGGER_UI = "aws_lambda_powertools.event_handler.openapi.swagger_ui"


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
