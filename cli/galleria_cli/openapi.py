"""galleria-openapi — the API's OpenAPI document, generated from every API function's routes and
pydantic models (Powertools' OpenAPI support) and merged into one.

    galleria-openapi            write layers/shared/galleria/api/openapi.json (the served copy)
    galleria-openapi --check    exit 1 when the committed copy differs from the code (drift)

Each API function has its own resolver; their documents share component names (the same models),
so merging is a union of paths and schemas. The error answers are added here, in one place, as
galleria.api.errors gives them to every route: Powertools would document its own 422 and 500
shapes, which this API never answers.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "layers" / "shared" / "galleria" / "api" / "openapi.json"
# Every API function's directory and handler module (template.yaml's CodeUri and Handler).
API_FUNCTIONS = {
    "generate": "generate",
    "gallery": "gallery",
    "collections": "gallery_collections",
    "bulk": "bulk",
    "shares": "share_links",
    "public": "public",
}
TITLE = "Galleria"
VERSION = "1.0.0"
DESCRIPTION = (
    "Generate images over several providers and keep every result in a team's gallery. "
    "Every /api/v1 route takes `Authorization: Bearer <api key>` except GET /api/v1/models and "
    "GET /api/v1/public/gallery; /media, /public and /share pages need no key. Errors are "
    '`{"error", "code", ...}`.'
)
ERROR_MODEL = "ErrorOut"
# Error statuses by meaning; the codes are the API contract's.
ERRORS = {
    400: "A bad request: invalid_request (naming the field), invalid_prompt, invalid_model, invalid_image, "
    "too_many_ids, content_policy",
    401: "unauthorized: the API key (or the share link's password) is missing or wrong",
    402: "insufficient_credits (with required and balance) or plan_upgrade_required",
    403: "forbidden: e.g. download_not_allowed on a view-only share link",
    404: "not_found: no such thing for this team (another team's id answers this too)",
    409: "conflict: the item's state does not allow it (e.g. not in the trash), or it changed meanwhile",
    410: "gone: an expired share link, or an image whose files have left the trash",
    413: "payload_too_large, or storage_quota_exceeded (with used and limit)",
    415: "unsupported_media_type: the body must be sent as application/json",
    422: "idempotency_key_reused: the Idempotency-Key came with another request before",
    429: "rate_limited: wait for Retry-After seconds",
    500: "internal_error, with a requestId (no details)",
    502: "generation_failed: the provider failed; the credits were refunded",
    503: "model_unavailable or service_unavailable: nothing was changed, try again",
}
# Any request may be malformed, meet a bug, or find a dependency down.
EVERY_OPERATION = (400, 500, 503)
_GENERATES = (402, 409, 413, 429)
_IDEMPOTENT = (409, 422)
_SHARE_PAGE = (401, 410, 429)
# Beyond EVERY_OPERATION and what the operation's shape says (401 with a key, 404 with an id in
# the path, 415 with a JSON body): what its logic may refuse with.
ROUTE_ERRORS: dict[str, tuple[int, ...]] = {
    "POST /api/v1/generate-image": (*_GENERATES, *_IDEMPOTENT, 404, 502),
    "POST /api/v1/gallery/{itemId}/remix": (*_GENERATES, *_IDEMPOTENT, 502),
    "POST /api/v1/gallery/{itemId}/edit": (*_GENERATES, *_IDEMPOTENT),
    "POST /api/v1/gallery/{itemId}/clean-background": _GENERATES,
    "POST /api/v1/gallery/{itemId}/split": _GENERATES,
    "POST /api/v1/gallery/{itemId}/open-in-chat": (409,),
    "POST /api/v1/gallery/exports": _IDEMPOTENT,
    "POST /api/v1/gallery/uploads": (413,),
    "PATCH /api/v1/gallery/{itemId}": (402, 409),
    "POST /api/v1/gallery/{itemId}/favorite": (409,),
    "DELETE /api/v1/gallery/{itemId}": (409,),
    "POST /api/v1/gallery/{itemId}/restore": (409, 410),
    "DELETE /api/v1/gallery/{itemId}/forever": (409,),
    "POST /api/v1/gallery/{itemId}/share": (409,),
    "POST /api/v1/gallery/collections/{collectionId}/share": (409,),
    "GET /api/v1/gallery": (404,),  # ?collection= names one
    "POST /api/v1/gallery/bulk/collect": (404,),
    "GET /share/{token}": _SHARE_PAGE,
    "POST /share/{token}": _SHARE_PAGE,
    "GET /share/{token}/download": (*_SHARE_PAGE, 403),
    "GET /share/{token}/items/{itemId}/image": _SHARE_PAGE,
    "GET /share/{token}/items/{itemId}/download": (*_SHARE_PAGE, 403),
}
# Share pages answer a browser's errors as HTML pages, and JSON to Accept: application/json.
PAGE_PREFIX = "/share/"
# Powertools' shapes for its validation errors, which this API answers as ErrorOut (400 and 500).
_POWERTOOLS_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def build_document() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    merged: dict[str, Any] = {}
    public_routes: set[str] = set()
    query_models: dict[str, type[BaseModel]] = {}
    for directory, module_name in API_FUNCTIONS.items():
        sys.path.insert(0, str(ROOT / "functions" / directory))
        module = importlib.import_module(module_name)
        public_routes |= getattr(module, "PUBLIC_ROUTES", frozenset())
        query_models |= getattr(module, "QUERY_MODELS", {})
        document = json.loads(
            module.app.get_openapi_json_schema(
                title=TITLE,
                version=VERSION,
                description=DESCRIPTION,
                security_schemes={
                    "apiKey": HTTPBearer(description="A team API key (galleria-admin issue-key)")
                },
                security=[{"apiKey": []}],
            )
        )
        if not merged:
            merged = document
            continue
        for path, operations in document.get("paths", {}).items():
            merged["paths"].setdefault(path, {}).update(operations)
        schemas = merged.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(document.get("components", {}).get("schemas", {}))
    add_error_answers(merged, public_routes)
    document_query_models(merged, query_models)
    merged["paths"] = dict(sorted(merged["paths"].items()))
    merged["components"]["schemas"] = dict(sorted(merged["components"]["schemas"].items()))
    return merged


def add_error_answers(document: dict[str, Any], public_routes: set[str]) -> None:
    """Every operation's error answers as ErrorOut (in place of Powertools' validation shapes), and
    no security requirement on the public routes."""
    from galleria.api.models.common import ErrorOut

    schemas = document["components"]["schemas"]
    for name in _POWERTOOLS_ERROR_SCHEMAS:
        schemas.pop(name, None)
    schemas[ERROR_MODEL] = ErrorOut.model_json_schema()
    routes = {
        f"{method.upper()} {path}" for path, operations in document["paths"].items() for method in operations
    }
    if unknown := set(ROUTE_ERRORS) - routes:
        raise ValueError(f"ROUTE_ERRORS names routes that do not exist: {sorted(unknown)}")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            route = f"{method.upper()} {path}"
            public = route in public_routes
            if public:
                operation["security"] = []
            # The routes document their successes; Powertools' 422 and 500 go.
            responses = {code: answer for code, answer in operation["responses"].items() if int(code) < 400}
            for status in sorted(_error_statuses(route, operation, public=public)):
                responses[str(status)] = _error_answer(status, page=path.startswith(PAGE_PREFIX))
            operation["responses"] = dict(sorted(responses.items()))


def document_query_models(document: dict[str, Any], query_models: dict[str, type[BaseModel]]) -> None:
    """Query parameters read into one pydantic model get their fields' full schemas (bounds, enums,
    patterns, defaults): Powertools documents such parameters by their basic type alone."""
    for route, model in query_models.items():
        method, path = route.split(" ", 1)
        fields = model.model_json_schema(by_alias=True)["properties"]
        for parameter in document["paths"][path][method.lower()]["parameters"]:
            if parameter["in"] == "query":
                parameter["schema"] = fields[parameter["name"]]


def _error_statuses(route: str, operation: dict[str, Any], *, public: bool) -> set[int]:
    statuses = {*EVERY_OPERATION, *ROUTE_ERRORS.get(route, ())}
    if not public:
        statuses.add(401)
    if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
        statuses.add(404)
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        statuses.add(415)
    return statuses


def _error_answer(status: int, *, page: bool) -> dict[str, Any]:
    content: dict[str, Any] = {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_MODEL}"}}
    }
    if page:
        content["text/html"] = {"schema": {"type": "string"}}
    answer: dict[str, Any] = {"description": ERRORS[status], "content": content}
    if status == 429:
        answer["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
    return answer


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="galleria-openapi", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed document is stale")
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is stale: run galleria-openapi", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text)
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
