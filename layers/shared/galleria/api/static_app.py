"""The gallery page (/app): static files packaged with the public function, served as they are.

The files live in the function's own ``app/`` folder (``functions/public/app``), so they ship in its
zip and answer on the API's origin: no CORS, and the API key a user pastes never leaves that origin.
A request names a file by its path under ``/app/``; anything that would leave the folder, a hidden
file, or a type not listed here is a 404. Files are read at request time (nothing at cold start)
and kept while unchanged; every answer carries an ``ETag`` and is revalidated (``no-cache``), so a
deploy is seen at once without versioned file names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from galleria.api.docs import file_answer, no_content, page_answer
from galleria.errors import NotFound

INDEX = "index.html"
APP_FOLDER = "app"
# What may be served, by extension; anything else in the folder stays private.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
MAX_NAME_CHARS = 200

# Scripts, styles and API calls only from this origin (no inline code: the page has none).
# Images: thumbnails are permanent /media links that redirect to presigned S3 URLs on the bucket's
# origin (the moto server's port in the local stack), and the page previews data:/blob: URLs.
# The export's ZIP is a presigned S3 URL too, but the page navigates to it, it never fetches it.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: http: data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}
# Always revalidated: the If-None-Match round trip answers 304 when nothing changed.
CACHE_CONTROL = "no-cache"

_NOT_MODIFIED = no_content("Not modified: the copy the browser holds (If-None-Match) is current")
PAGE_ANSWERS: dict[int, OpenAPIResponse] = {
    200: page_answer("The gallery page (index.html)"),
    304: _NOT_MODIFIED,
}
FILE_ANSWERS: dict[int, OpenAPIResponse] = {
    200: file_answer(
        "A file of the gallery page: HTML, JavaScript module, stylesheet or image",
        *sorted({media.split(";")[0] for media in CONTENT_TYPES.values()}),
    ),
    304: _NOT_MODIFIED,
}


@dataclass(frozen=True)
class _File:
    body: bytes
    etag: str
    content_type: str


class AppFiles:
    """The files of one folder, answered as the gallery page's static assets."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def beside(cls, module_file: str) -> AppFiles:
        """The ``app/`` folder next to a handler module (``AppFiles.beside(__file__)``)."""
        return cls(Path(module_file).resolve().with_name(APP_FOLDER))

    def answer(self, event: APIGatewayProxyEventV2, name: str | None = None) -> Response[Any]:
        """GET /app, /app/ (``name`` None: index.html) and /app/{name}: the file, or 304 when the
        browser's copy is current. Raises NotFound for anything that is not a file served here."""
        file = _read(self.locate(name or INDEX))
        headers = {**SECURITY_HEADERS, "ETag": file.etag, "Cache-Control": CACHE_CONTROL}
        if _matches(event.headers.get("if-none-match"), file.etag):
            return Response(status_code=304, headers=headers)
        body: str | bytes = file.body
        if file.content_type.startswith(("text/", "image/svg")):
            body = file.body.decode("utf-8")  # text stays text in the proxy answer (no base64)
        return Response(status_code=200, content_type=file.content_type, body=body, headers=headers)

    def locate(self, name: str) -> Path:
        """The file ``name`` names under the folder. Refused (NotFound, as if it did not exist):
        empty, absolute or ``..`` segments, hidden files, backslashes and control characters, a
        path that resolves outside the folder (symbolic links included), unknown types."""
        missing = NotFound(f"No file {name[:MAX_NAME_CHARS]!r} in the gallery page")
        segments = name.split("/")
        if (
            len(name) > MAX_NAME_CHARS
            or any(not segment or segment.startswith(".") for segment in segments)
            or any(char == "\\" or ord(char) < 0x20 or ord(char) == 0x7F for char in name)
            or Path(name).suffix.lower() not in CONTENT_TYPES
        ):
            raise missing
        root = self.root.resolve()
        path = root.joinpath(*segments).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise missing
        return path


def _read(path: Path) -> _File:
    stat = path.stat()
    return _read_version(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _read_version(path: Path, mtime_ns: int, size: int) -> _File:
    """One version of a file (its modification time and size are the cache key, so an edited file
    is read again: the local stack serves edits without a restart)."""
    body = path.read_bytes()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    return _File(body=body, etag=etag, content_type=CONTENT_TYPES[path.suffix.lower()])


def _matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match holds ``*`` or a list of tags, weak (``W/``) ones compared by their value."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags
