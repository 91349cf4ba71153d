"""HTTP requests as HTTP API payload-2.0 events, and Lambda results as HTTP responses."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from typing import Any

import pytest

from galleria_local.functions import HttpRoute
from galleria_local.http_events import HttpRequest, build_event, to_http_response
from galleria_local.routes import RouteMatch

# The documented payload format 2.0 event (API Gateway developer guide), minus the optional
# authorizer, authentication and stage variables, which the local gateway does not produce.
DOCUMENTED_EVENT: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/my/path",
    "rawQueryString": "parameter1=value1&parameter1=value2&parameter2=value",
    "cookies": ["cookie1", "cookie2"],
    "headers": {"header1": "value1", "header2": "value1,value2"},
    "queryStringParameters": {"parameter1": "value1,value2", "parameter2": "value"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "api-id",
        "domainName": "id.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "id",
        "http": {
            "method": "POST",
            "path": "/my/path",
            "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.1",
            "userAgent": "agent",
        },
        "requestId": "id",
        "routeKey": "$default",
        "stage": "$default",
        "time": "12/Mar/2020:19:03:58 +0000",
        "timeEpoch": 1583348638390,
    },
    "body": "Hello from Lambda",
    "pathParameters": {"parameter1": "value1"},
    "isBase64Encoded": False,
}

ROUTE = HttpRoute(function_id="Items", method="POST", path="/teams/{teamId}/items")


def _request(
    body: bytes = b"", content_type: str | None = None, extra: Sequence[tuple[str, str]] = ()
) -> HttpRequest:
    headers = [
        ("Host", "127.0.0.1:8000"),
        ("User-Agent", "curl/8.5"),
        ("Cookie", "a=1; b=2"),
        ("Cookie", "c=3"),
    ]
    if content_type:
        headers.append(("Content-Type", content_type))
    return HttpRequest(
        method="POST",
        target="/teams/t%201/items?tag=a&tag=b&empty=&q=x%20y",
        protocol="HTTP/1.1",
        headers=[*headers, ("X-Custom", "one"), ("x-custom", "two"), *extra],
        body=body,
        source_ip="127.0.0.1",
        server_port=8000,
    )


def _event(request: HttpRequest) -> dict[str, Any]:
    return build_event(request, RouteMatch(ROUTE, {"teamId": "t 1"}), api_id="local", request_id="req-1")


STRING_MAPS = {"headers", "queryStringParameters", "pathParameters"}


def _shape(value: Any) -> Any:
    """Keys (recursively) and value types: what an event's consumer depends on."""
    if isinstance(value, dict):
        return {
            key: "dict[str, str]" if key in STRING_MAPS and _all_strings(item) else _shape(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [type(item).__name__ for item in value[:1]]
    return type(value).__name__


def _all_strings(mapping: dict[str, Any]) -> bool:
    return all(isinstance(key, str) and isinstance(item, str) for key, item in mapping.items())


def test_the_event_has_the_documented_shape() -> None:
    event = _event(_request(b'{"a": 1}', "application/json"))

    assert _shape(event) == _shape(DOCUMENTED_EVENT)
    assert set(event["headers"]) >= {"host", "user-agent", "x-forwarded-for", "x-forwarded-proto"}


def test_the_event_carries_the_request() -> None:
    event = _event(_request(b'{"a": 1}', "application/json; charset=utf-8"))

    assert event["routeKey"] == "POST /teams/{teamId}/items"
    assert event["rawPath"] == "/teams/t 1/items"
    assert event["rawQueryString"] == "tag=a&tag=b&empty=&q=x%20y"
    assert event["queryStringParameters"] == {"tag": "a,b", "empty": "", "q": "x y"}
    assert event["pathParameters"] == {"teamId": "t 1"}
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-custom"] == "one,two"
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["headers"]["x-forwarded-port"] == "8000"
    context = event["requestContext"]
    assert context["domainName"] == "127.0.0.1"
    assert context["apiId"] == "local"
    assert context["stage"] == "$default"
    assert context["http"] == {
        "method": "POST",
        "path": "/teams/t 1/items",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "curl/8.5",
    }
    assert event["body"] == '{"a": 1}'
    assert event["isBase64Encoded"] is False


def test_a_forwarded_for_header_gets_the_client_appended() -> None:
    event = _event(_request(extra=[("X-Forwarded-For", "203.0.113.9")]))

    assert event["headers"]["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"


@pytest.mark.parametrize(
    ("content_type", "body", "as_text"),
    [
        ("text/plain", "héllo".encode(), True),
        ("application/json", b"{}", True),
        ("application/problem+json", b"{}", True),
        ("application/x-www-form-urlencoded", b"a=1", True),
        ("application/xml", b"<a/>", True),
        ("text/plain", b"\xff\xfe not utf-8", False),
        ("image/png", b"\x89PNG\r\n\x1a\n", False),
        ("multipart/form-data; boundary=x", b"--x--", False),
        (None, b"raw", False),
    ],
)
def test_bodies_are_text_only_when_text_like_and_utf8(
    content_type: str | None, body: bytes, as_text: bool
) -> None:
    event = _event(_request(body, content_type))

    assert event["isBase64Encoded"] is not as_text
    received = event["body"].encode() if as_text else base64.b64decode(event["body"])
    assert received == body


def test_a_binary_upload_arrives_intact() -> None:
    payload = os.urandom(256 * 1024)

    event = _event(_request(payload, "application/octet-stream"))

    assert base64.b64decode(event["body"]) == payload


def test_no_body_means_no_body_key() -> None:
    event = _event(_request())

    assert "body" not in event
    assert event["isBase64Encoded"] is False


def test_a_binary_response_is_decoded_with_its_headers_and_cookies() -> None:
    image = os.urandom(1000)

    response = to_http_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "image/webp", "X-Count": 3},
            "multiValueHeaders": {"X-Many": ["a", "b"]},
            "cookies": ["session=1; HttpOnly", "theme=dark"],
            "body": base64.b64encode(image).decode(),
            "isBase64Encoded": True,
        }
    )

    assert response.status == 201
    assert response.body == image
    assert response.headers == [
        ("Content-Type", "image/webp"),
        ("X-Count", "3"),
        ("X-Many", "a"),
        ("X-Many", "b"),
        ("set-cookie", "session=1; HttpOnly"),
        ("set-cookie", "theme=dark"),
    ]


@pytest.mark.parametrize(
    ("payload", "body"),
    [
        ({"message": "hi"}, {"message": "hi"}),
        (["a", 1], ["a", 1]),
        (None, None),
    ],
)
def test_a_result_without_status_code_is_a_200_json_body(payload: Any, body: Any) -> None:
    response = to_http_response(payload)

    assert response.status == 200
    assert response.headers == [("content-type", "application/json")]
    assert json.loads(response.body) == body


def test_a_string_result_is_the_body_itself() -> None:
    assert to_http_response("Hello from Lambda!").body == b"Hello from Lambda!"


@pytest.mark.parametrize(
    "payload",
    [
        {"statusCode": "abc"},
        {"statusCode": 99},
        {"statusCode": 200, "body": "not base64!", "isBase64Encoded": True},
        {"statusCode": 200, "headers": {"X": {"nested": 1}}},
    ],
)
def test_a_malformed_result_is_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Malformed Lambda response"):
        to_http_response(payload)
