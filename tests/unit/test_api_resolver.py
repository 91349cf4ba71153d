"""The shared resolver: errors in one shape, our own bugs as 500 with a request id."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

from pydantic import BaseModel

from galleria.api.app import create_resolver
from galleria.errors import NotFound

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


class Answer(BaseModel):
    value: int


def _event(path: str) -> dict:
    return {
        "version": "2.0",
        "routeKey": f"GET {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "1.1.1.1",
                "userAgent": "t",
            },
            "requestId": "req-1",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


app = create_resolver()


@app.get("/broken-response")
def broken_response() -> Answer:
    return {"value": "not a number"}  # type: ignore[return-value]


@app.get("/missing")
def missing() -> Answer:
    raise NotFound("Gallery item gal_x not found")


@app.get("/crash")
def crash() -> Answer:
    raise RuntimeError("boom")


def _call(path: str) -> tuple[int, dict]:
    result = app.resolve(_event(path), cast("LambdaContext", {}))  # the resolver only keeps it
    return result["statusCode"], json.loads(result["body"])


def test_a_response_that_breaks_its_model_is_a_500_not_a_client_error() -> None:
    assert _call("/broken-response") == (
        500,
        {"error": "Internal error", "code": "internal_error", "requestId": "req-1"},
    )


def test_domain_errors_keep_their_status_and_code() -> None:
    assert _call("/missing") == (404, {"error": "Gallery item gal_x not found", "code": "not_found"})


def test_unexpected_errors_hide_details_and_carry_the_request_id() -> None:
    status, body = _call("/crash")
    assert status == 500 and "boom" not in json.dumps(body) and body["requestId"] == "req-1"


def test_unknown_routes_answer_404_in_the_same_shape() -> None:
    assert _call("/nowhere") == (404, {"error": "No such route", "code": "not_found"})
