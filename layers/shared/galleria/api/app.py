"""The resolver every API function uses, and the one authentication step in front of it.

Authentication runs before routing so that an unauthenticated caller learns nothing (not
even validation details) — 401 comes first, as an API Gateway authorizer would answer.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.request import Request
from pydantic import BaseModel

from galleria.accounts.repository import AccountsRepository
from galleria.api.errors import proxy_error, register_error_handlers, unexpected_error
from galleria.auth import Principal, authenticate
from galleria.errors import GalleriaError, InvalidRequest, UnsupportedMediaType

# Bodies the public pages read as forms (the share password form); /api/v1 routes take JSON only.
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

_PRINCIPAL = "principal"


def create_resolver() -> APIGatewayHttpResolver:
    # A response that fails its model is our bug: a 500, not the 400 Powertools would answer.
    app = APIGatewayHttpResolver(enable_validation=True, response_validation_error_http_code=500)
    register_error_handlers(app)
    return app


def handle(
    app: APIGatewayHttpResolver,
    event: dict[str, Any],
    context: Any,
    *,
    public_routes: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Authenticate (unless the route is public), then let the resolver route and validate."""
    problem = _unreadable_json(event)
    if problem is not None:
        return proxy_error(problem)
    if event.get("routeKey") not in public_routes:
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        try:
            principal = authenticate(headers.get("authorization"), AccountsRepository())
        except GalleriaError as error:
            return proxy_error(error)
        except Exception as error:  # the key lookup failed: answered as a route's error, not a crash
            request_id = str((event.get("requestContext") or {}).get("requestId", ""))
            return proxy_error(unexpected_error(error, request_id))
        app.append_context(**{_PRINCIPAL: principal})  # type: ignore[no-untyped-call]  # Powertools
    return app.resolve(event, context)


def _unreadable_json(event: dict[str, Any]) -> GalleriaError | None:
    """A JSON body the parser cannot take (a 5,000-digit number, nesting past the recursion limit)
    is a 400, not a crash; a JSON body under another content type is a 415 that says what to send.
    Media types are case-insensitive: the header is normalised for the resolver."""
    headers = event.get("headers") or {}
    body = event.get("body")
    if not body:
        return None
    media = str(headers.get("content-type", "")).split(";")[0].strip().lower()
    try:
        text = base64.b64decode(body).decode("utf-8", "replace") if event.get("isBase64Encoded") else body
    except ValueError:  # not base64 after all: left to the resolver
        return None
    if media in ("application/json", ""):  # no content type: read as JSON, as Powertools does
        if media:
            headers["content-type"] = "application/json"
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            return InvalidRequest("Malformed JSON body")
        return None
    form_route = media in _FORM_TYPES and not str(event.get("rawPath", "")).startswith("/api/v1/")
    if text.lstrip()[:1] in ("{", "[") and not form_route:
        return UnsupportedMediaType(
            f"The body looks like JSON but was sent as {media}: send it with Content-Type: application/json"
        )
    return None


def current_principal(request: Request) -> Principal:
    """A route dependency: the authenticated caller (``Annotated[Principal, Depends(...)]``)."""
    principal: Principal = request.context[_PRINCIPAL]
    return principal


def json_response(status: int, body: BaseModel) -> Response[Any]:
    """A response model with a status other than the route's default 200."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
    )
