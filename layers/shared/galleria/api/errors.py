"""One place that turns errors into HTTP answers: ``{"error", "code", ...extra}``."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from galleria import aws
from galleria.errors import GalleriaError, ServiceUnavailable

logger = Logger(child=True)

# A request field whose validation failure has its own error code in the API contract.
_FIELD_CODES = {"prompt": "invalid_prompt", "model": "invalid_model", "sourceImage": "invalid_image"}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response[Any]:
    body = {"error": message, "code": code, **extra}
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def proxy_error(error: GalleriaError) -> dict[str, Any]:
    """The same answer as a raw API Gateway proxy response, for errors raised before routing."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": "application/json", **error.headers},
        "body": json.dumps({"error": error.message, "code": error.code, **error.extra}),
        "isBase64Encoded": False,
    }


def unexpected_error(error: Exception, request_id: str) -> GalleriaError:
    """The answer to an error no route expected, with the request's id and nothing of the error:
    503 when an AWS service stayed unavailable through its client's retries (try again), else 500."""
    if aws.gave_up(error):
        logger.warning("AWS service unavailable after retries", exc_info=error)
        return ServiceUnavailable(
            "The service is busy: a storage request failed after several tries; try again in a few seconds",
            requestId=request_id,
        )
    logger.error("unhandled error", exc_info=error)
    return GalleriaError("Internal error", requestId=request_id)


def describe_validation_error(errors: list[dict[str, Any]]) -> tuple[str, str]:
    """A human sentence naming the first bad field, and the error code for that field."""
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    field = ".".join(loc) or "body"
    kind = first.get("type", "")
    if kind == "json_invalid":
        return "Malformed JSON body", "invalid_request"
    if kind == "extra_forbidden":
        return f"Unknown field '{field}'", "invalid_request"
    if kind == "missing":
        return f"Missing required field '{field}'", _FIELD_CODES.get(field, "invalid_request")
    message = first.get("msg") or "is not valid"
    return f"Invalid field '{field}': {message}", _FIELD_CODES.get(loc[0] if loc else "", "invalid_request")


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(GalleriaError)
    def handle_domain_error(error: GalleriaError) -> Response[Any]:
        return error_response(error.status, error.code, error.message, error.headers, **error.extra)

    @app.exception_handler(RequestUnsupportedContentType)
    def handle_unsupported_content_type(_: RequestUnsupportedContentType) -> Response[Any]:
        return error_response(
            415, "unsupported_media_type", "This route takes a JSON body: send Content-Type: application/json"
        )

    @app.exception_handler(RequestValidationError)
    def handle_validation_error(error: RequestValidationError) -> Response[Any]:
        message, code = describe_validation_error(list(error.errors()))
        return error_response(400, code, message)

    @app.not_found
    def handle_not_found(_: NotFoundError) -> Response[Any]:
        return error_response(404, "not_found", "No such route")

    @app.exception_handler(Exception)
    def handle_unexpected(error: Exception) -> Response[Any]:
        answer = unexpected_error(error, app.current_event.request_context.request_id)
        return error_response(answer.status, answer.code, answer.message, answer.headers, **answer.extra)
