"""The resolver every API function uses, and the one authentication step in front of it.

Authentication runs before routing so that an unauthenticated caller learns nothing (not
even validation details) — 401 comes first, as an API Gateway authorizer would answer.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.request import Request
from pydantic import BaseModel

from galleria.accounts.repository import AccountsRepository
from galleria.api.errors import proxy_error, register_error_handlers
from galleria.auth import Principal, authenticate
from galleria.errors import GalleriaError

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
    if event.get("routeKey") not in public_routes:
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        try:
            principal = authenticate(headers.get("authorization"), AccountsRepository())
        except GalleriaError as error:
            return proxy_error(error)
        app.append_context(**{_PRINCIPAL: principal})
    return app.resolve(event, context)


def current_principal(request: Request) -> Principal:
    """A route dependency: the authenticated caller (``Annotated[Principal, Depends(...)]``)."""
    return request.context[_PRINCIPAL]


def json_response(status: int, body: BaseModel) -> Response:
    """A response model with a status other than the route's default 200."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
    )
