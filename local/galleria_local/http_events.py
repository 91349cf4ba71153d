"""HTTP requests as API Gateway HTTP API (payload format 2.0) events, and Lambda results as HTTP responses."""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from galleria_local.intrinsics import ACCOUNT_ID
from galleria_local.routes import RouteMatch

_TEXT_MEDIA_TYPES = frozenset({"application/json", "application/xml", "application/x-www-form-urlencoded"})


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str  # as on the request line: raw path and query
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    server_port: int


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def new_request_id() -> str:
    """An id shaped like API Gateway's (`JKJaXmPLvHcESHA=`)."""
    return base64.b64encode(os.urandom(10)).decode()


def build_event(request: HttpRequest, match: RouteMatch, *, api_id: str, request_id: str) -> dict[str, Any]:
    raw_path, _, raw_query = request.target.partition("?")
    path = unquote(raw_path)
    headers = _event_headers(request)
    cookies = [
        cookie.strip()
        for name, value in request.headers
        if name.lower() == "cookie"
        for cookie in value.split(";")
        if cookie.strip()
    ]
    now = time.time()

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query = _joined(parse_qsl(raw_query, keep_blank_values=True))
    if query:
        event["queryStringParameters"] = query
    domain_name = _host_name(headers.get("host", ""))
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": api_id,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": match.route.route_key,
        "stage": "$default",
        "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    if request.body:
        as_text = _text_body(request.body, headers.get("content-type", ""))
        event["body"] = as_text if as_text is not None else base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = as_text is None
    else:
        event["isBase64Encoded"] = False
    return event


def to_http_response(payload: Any) -> HttpResponse:
    """A Lambda result as API Gateway returns it (format 2.0); ValueError if it is malformed.

    A result without `statusCode` is, as API Gateway reads it, a 200 JSON body: the result's JSON, or the
    string itself when the function returned a string.
    """
    if not (isinstance(payload, dict) and "statusCode" in payload):
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return HttpResponse(200, [("content-type", "application/json")], body.encode())

    try:
        status = int(payload["statusCode"])
        headers = [
            (str(name), _header_value(value)) for name, value in (payload.get("headers") or {}).items()
        ]
        for name, values in (payload.get("multiValueHeaders") or {}).items():
            headers += [(str(name), _header_value(value)) for value in values]
        headers += [("set-cookie", str(cookie)) for cookie in payload.get("cookies") or []]
        body = payload.get("body") or ""
        content = (
            base64.b64decode(body, validate=True) if payload.get("isBase64Encoded") else str(body).encode()
        )
    except (TypeError, ValueError, AttributeError, binascii.Error) as exc:
        raise ValueError(f"Malformed Lambda response: {exc}") from exc
    if not 100 <= status <= 599:
        raise ValueError(f"Malformed Lambda response: statusCode {status}")
    return HttpResponse(status, headers, content)


def gateway_error(status: int, message: str) -> HttpResponse:
    """API Gateway's own answers: `{"message": "Not Found"}` and the like."""
    return HttpResponse(
        status, [("content-type", "application/json")], json.dumps({"message": message}).encode()
    )


def _event_headers(request: HttpRequest) -> dict[str, str]:
    """Lower-case names, repeats comma-joined, plus the headers API Gateway adds; cookies go elsewhere."""
    headers = _joined((name.lower(), value) for name, value in request.headers if name.lower() != "cookie")
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip
    headers["x-forwarded-proto"] = "http"
    headers["x-forwarded-port"] = str(request.server_port)
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}")
    return headers


def _host_name(host: str) -> str:
    """The Host header without its port (`[::1]:8000` → `[::1]`)."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0]


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _text_body(body: bytes, content_type: str) -> str | None:
    """The body as text when its type is text-like and it is valid UTF-8; None means send base64."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not (
        media_type.startswith("text/") or media_type in _TEXT_MEDIA_TYPES or media_type.endswith("+json")
    ):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list):
        raise ValueError(f"header value {value!r} is not a scalar")
    return str(value)
