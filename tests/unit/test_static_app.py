"""The gallery page's files (/app): served from the public function's app/ folder with their types,
ETags and security headers; nothing outside that folder, nothing hidden, nothing unlisted."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import public
import pytest

from galleria.api.static_app import CONTENT_TYPES, AppFiles

# The handler publishes no metrics on these routes: Powertools says so once per call.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")
APP_FOLDER = Path(public.__file__).resolve().with_name("app")


class _Context:
    function_name = "public"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:public"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 29_000


def _event(path: str, route_key: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event as API Gateway sends it: rawPath already percent-decoded."""
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "api.example.com", **(headers or {})},
        "requestContext": {
            "domainName": "api.example.com",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "1.1.1.1",
                "userAgent": "t",
            },
            "requestId": "req-1",
            "routeKey": route_key,
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def _get(path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    route_key = "GET /app" if path in ("/app", "/app/") else "GET /app/{file}"
    return public.lambda_handler(_event(path, route_key, headers), _Context())


def _header(answer: dict[str, Any], name: str) -> str | None:
    headers = {key.lower(): value for key, value in (answer.get("headers") or {}).items()}
    return headers.get(name.lower())


def _body(answer: dict[str, Any]) -> bytes:
    body = answer.get("body") or ""
    return base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()


@pytest.fixture(autouse=True)
def _quiet_powertools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")


# --- through the public function's handler ----------------------------------------------------
@pytest.mark.parametrize("path", ["/app", "/app/"])
def test_the_page_is_index_html_without_a_key(path: str) -> None:
    answer = _get(path)

    assert answer["statusCode"] == 200
    assert _header(answer, "content-type") == "text/html; charset=utf-8"
    assert _body(answer) == (APP_FOLDER / "index.html").read_bytes()
    assert _header(answer, "cache-control") == "no-cache"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("styles.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
        ("index.html", "text/html; charset=utf-8"),
    ],
)
def test_each_file_has_its_content_type(name: str, content_type: str) -> None:
    answer = _get(f"/app/{name}")

    assert answer["statusCode"] == 200
    assert _header(answer, "content-type") == content_type
    assert _body(answer) == (APP_FOLDER / name).read_bytes()


def test_every_answer_carries_the_security_headers() -> None:
    answer = _get("/app")
    policy = _header(answer, "content-security-policy") or ""
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # no inline scripts
    assert directives["connect-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert {"'self'", "data:", "blob:"} <= set(directives["img-src"])  # + the bucket's presigned origin
    assert _header(answer, "x-content-type-options") == "nosniff"
    assert _header(answer, "referrer-policy") == "no-referrer"


def test_an_etag_that_matches_answers_304_without_a_body() -> None:
    first = _get("/app/app.js")
    etag = _header(first, "etag")

    again = _get("/app/app.js", {"if-none-match": etag or ""})
    weak = _get("/app/app.js", {"if-none-match": f'"other", W/{etag}'})
    stale = _get("/app/app.js", {"if-none-match": '"not-the-tag"'})

    assert etag and etag.startswith('"') and etag.endswith('"')
    assert again["statusCode"] == 304 and not again.get("body")
    assert _header(again, "etag") == etag and _header(again, "cache-control") == "no-cache"
    assert weak["statusCode"] == 304
    assert stale["statusCode"] == 200 and _header(stale, "etag") == etag


@pytest.mark.parametrize(
    "path",
    [
        "/app/../public.py",  # the handler next to app/
        "/app/..%2fpublic.py",  # still encoded once API Gateway has decoded the path
        "/app/%2e%2e/public.py",
        "/app/..",
        "/app/.",
        "/app//etc/passwd",
        "/app/\\..\\public.py",
        "/app/nothing-here.js",
        "/app/.hidden.js",
        "/app/public.py",
        "/app/app.js/",
        "/app/app.js%00.css",
    ],
)
def test_paths_outside_the_folder_or_unknown_answer_404(path: str) -> None:
    answer = _get(path)

    assert answer["statusCode"] == 404
    body = json.loads(_body(answer))
    assert body["code"] == "not_found"
    assert "root" not in json.dumps(body) and str(APP_FOLDER) not in json.dumps(body)


# --- the folder rules, on a folder of our own --------------------------------------------------
@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "nested").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>t</title>")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (root / "nested" / "part.js").write_text("export const x = 1;\n")
    (root / ".env").write_text("SECRET=1")
    (root / "notes.txt").write_text("not served")
    (tmp_path / "outside.js").write_text("secret")
    return root


def _answer(files: AppFiles, name: str | None = None, headers: dict[str, str] | None = None) -> Any:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

    return files.answer(APIGatewayProxyEventV2(_event("/app/x", "GET /app/{file}", headers)), name)


def test_binary_files_are_served_as_bytes(folder: Path) -> None:
    answer = _answer(AppFiles(folder), "logo.png")

    assert answer.status_code == 200
    assert answer.content_type == CONTENT_TYPES[".png"]
    assert answer.body == (folder / "logo.png").read_bytes()  # the resolver sends bytes as base64


def test_a_nested_file_is_found(folder: Path) -> None:
    answer = _answer(AppFiles(folder), "nested/part.js")

    assert answer.status_code == 200 and answer.body == "export const x = 1;\n"


@pytest.mark.parametrize(
    "name",
    [
        "../outside.js",
        "nested/../../outside.js",
        ".env",
        "notes.txt",
        "/etc/hostname",
        "nested/",
        "",
        "x" * 300,
    ],
)
def test_the_folder_rules_refuse(folder: Path, name: str) -> None:
    from galleria.errors import NotFound

    with pytest.raises(NotFound):
        AppFiles(folder).locate(name)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_symbolic_link_out_of_the_folder_is_refused(folder: Path) -> None:
    from galleria.errors import NotFound

    (folder / "escape.js").symlink_to(folder.parent / "outside.js")

    with pytest.raises(NotFound):
        AppFiles(folder).locate("escape.js")


def test_an_edited_file_is_read_again_with_a_new_etag(folder: Path) -> None:
    files = AppFiles(folder)
    before = _answer(files, "index.html")
    (folder / "index.html").write_text("<!doctype html><title>changed, and longer</title>")

    after = _answer(files, "index.html")

    assert after.body.endswith("changed, and longer</title>")
    assert after.headers["ETag"] != before.headers["ETag"]


def test_files_are_not_read_at_import_or_construction(tmp_path: Path) -> None:
    files = AppFiles(tmp_path / "does-not-exist")  # no error until a request asks for a file

    with pytest.raises(Exception, match="gallery page"):
        _answer(files)
