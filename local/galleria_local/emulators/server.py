"""What every provider emulator shares: a loopback HTTP server in a thread, faults and a request log.

A subclass implements `serve(request)` in its provider's protocol. Paths under `/__emulator/` are
the control endpoints (no auth; the server listens on 127.0.0.1 only):

- `POST /__emulator/faults` `{"fault": <kind>, "count": 1, "delaySeconds": 30}` queues a fault that
  the next `count` generation requests consume, in order of queueing; `GET` lists what is pending,
  `DELETE` clears it.
- `GET /__emulator/requests` returns the recent requests (secrets redacted, base64 elided), oldest
  first; `DELETE` clears the log.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlencode

from galleria_local.http_server import LoopbackServer, OneMethodHandler

logger = logging.getLogger(__name__)

FAULT_KINDS = ("rate_limit", "server_error", "timeout", "safety", "malformed", "no_image")
DEFAULT_TIMEOUT_DELAY_SECONDS = 30.0
CONTROL_PREFIX = "/__emulator/"
REQUEST_LOG_SIZE = 200
# Several reference images in base64 fit; a runaway client does not.
MAX_BODY_BYTES = 64 * 1024 * 1024
SECRET_HEADERS = frozenset({"authorization", "x-goog-api-key", "x-key", "api-key"})
SECRET_QUERY_PARAMETERS = frozenset({"key"})
REDACTED = "<redacted>"
# A 200 whose body no JSON parser accepts: what a proxy cutting a response short delivers.
MALFORMED_BODY = b'{"status": "ok", "result": {"data": "iVBORw0KGgoAAAANSUhEUg'
_ELIDE_MIN_CHARS = 200
_BASE64 = re.compile(r"[A-Za-z0-9+/_=-]+")
_DATA_URL = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[^,;]*)*;base64,")


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query
    query: dict[str, str]  # the first value of each parameter
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def json_response(status: int, document: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, json.dumps(document).encode(), headers=tuple(headers))


def malformed_response(headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(200, MALFORMED_BODY, headers=tuple(headers))


def parse_json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


@dataclass(frozen=True)
class Fault:
    kind: str
    delay_seconds: float = DEFAULT_TIMEOUT_DELAY_SECONDS


@dataclass
class _QueuedFault:
    fault: Fault
    remaining: int


class FaultQueue:
    """Faults waiting for generation requests; thread-safe, first queued first consumed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[_QueuedFault] = deque()

    def push(self, fault: Fault, count: int = 1) -> None:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {fault.kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._queue.append(_QueuedFault(fault, count))

    def take(self) -> Fault | None:
        with self._lock:
            if not self._queue:
                return None
            head = self._queue[0]
            head.remaining -= 1
            if head.remaining == 0:
                self._queue.popleft()
            return head.fault

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"fault": item.fault.kind, "count": item.remaining, "delaySeconds": item.fault.delay_seconds}
                for item in self._queue
            ]


class RequestLog:
    """The last requests an emulator served, as tests want to read them: no secrets, no base64."""

    def __init__(self, size: int = REQUEST_LOG_SIZE) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)

    def record(self, request: Request, status: int) -> None:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": request.method,
            "path": request.path,
            "query": {
                name: REDACTED if name in SECRET_QUERY_PARAMETERS else value
                for name, value in request.query.items()
            },
            "headers": {
                name: REDACTED if name in SECRET_HEADERS else value for name, value in request.headers.items()
            },
            "body": _loggable_body(request.body),
            "status": status,
        }
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _loggable_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        return _elide(json.loads(body))
    except ValueError:
        return f"<{len(body)} bytes>"


def _elide(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _elide(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_elide(item) for item in value]
    if isinstance(value, str) and (
        _DATA_URL.match(value) or (len(value) >= _ELIDE_MIN_CHARS and _BASE64.fullmatch(value))
    ):
        return f"<base64: {len(value)} chars>"
    return value


class ProviderEmulator(ABC):
    """A provider's HTTP API on 127.0.0.1 (an ephemeral port unless `port` says otherwise).

    `start()` binds and serves from a daemon thread; `stop()` wakes requests sleeping in a "timeout"
    fault and closes the socket; both are idempotent, and `with Emulator() as emulator:` does both.
    """

    provider: ClassVar[str]  # as in galleria.catalog: google, openai, bfl
    host: ClassVar[str] = "127.0.0.1"

    def __init__(self, *, api_key: str | None = None, port: int = 0) -> None:
        self.api_key = api_key or f"emulator-{secrets.token_urlsafe(24)}"
        self.faults = FaultQueue()
        self.requests = RequestLog()
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"The {self.provider} emulator is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> None:
        if self._server is not None:
            return
        self._stopping.clear()
        self._server = _Server((self.host, self._port), _RequestHandler)
        self._server.emulator = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"{self.provider}-emulator",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._server is None:
            return
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._server.server_close()
        self._server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def inject(self, kind: str, count: int = 1, delay_seconds: float = DEFAULT_TIMEOUT_DELAY_SECONDS) -> None:
        """Queue a fault in-process: the same as `POST /__emulator/faults`."""
        self.faults.push(Fault(kind, delay_seconds), count)

    def url(self, path: str, **query: str) -> str:
        return f"{self.base_url}{path}{'?' + urlencode(query) if query else ''}"

    def handle(self, request: Request) -> Response:
        if request.path.startswith(CONTROL_PREFIX):
            return self._control(request)
        response = self.serve(request)
        self.requests.record(request, response.status)
        return response

    @abstractmethod
    def serve(self, request: Request) -> Response:
        """Answer one provider request as the real service would."""

    def common_headers(self) -> tuple[tuple[str, str], ...]:
        """Headers the provider puts on every response (OpenAI's `x-request-id`, say)."""
        return ()

    def take_fault(self) -> Fault | None:
        """The fault this generation request must show, if any. A "timeout" is served here: the
        request sleeps (until the emulator stops, at most) and then proceeds normally."""
        fault = self.faults.take()
        if fault is not None and fault.kind == "timeout":
            self._stopping.wait(fault.delay_seconds)
            return None
        return fault

    def _control(self, request: Request) -> Response:
        resource = request.path.removeprefix(CONTROL_PREFIX).rstrip("/")
        if resource == "faults" and request.method == "POST":
            return self._queue_fault(request.body)
        if resource == "faults" and request.method == "DELETE":
            self.faults.clear()
            return json_response(200, {"faults": []})
        if resource == "faults" and request.method == "GET":
            return json_response(200, {"faults": self.faults.pending()})
        if resource == "requests" and request.method == "GET":
            return json_response(200, {"requests": self.requests.entries()})
        if resource == "requests" and request.method == "DELETE":
            self.requests.clear()
            return json_response(200, {"requests": []})
        return json_response(404, {"error": f"no control endpoint {request.method} {request.path}"})

    def _queue_fault(self, body: bytes) -> Response:
        document = parse_json_object(body)
        if document is None:
            return json_response(400, {"error": "the body must be a JSON object"})
        kind = document.get("fault")
        count = document.get("count", 1)
        delay = document.get("delaySeconds", DEFAULT_TIMEOUT_DELAY_SECONDS)
        if not isinstance(count, int) or isinstance(count, bool):
            return json_response(400, {"error": "count must be an integer"})
        if not isinstance(delay, int | float) or isinstance(delay, bool) or delay < 0:
            return json_response(400, {"error": "delaySeconds must be a number >= 0"})
        try:
            self.faults.push(Fault(str(kind), float(delay)), count)
        except ValueError as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(200, {"faults": self.faults.pending()})


class _Server(LoopbackServer):
    emulator: ProviderEmulator


class _RequestHandler(OneMethodHandler):
    server: _Server

    def _serve(self) -> None:
        started = time.perf_counter()
        emulator = self.server.emulator
        response = self._respond(emulator)
        try:
            self._write(response, emulator.common_headers())
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a "timeout" fault, often)
        path = self.path.partition("?")[0]
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "%s-emulator %s %s %d %.0f ms", emulator.provider, self.command, path, response.status, elapsed_ms
        )

    def _respond(self, emulator: ProviderEmulator) -> Response:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            self.close_connection = True  # the body stays unread
            return json_response(411, {"error": "send a Content-Length"})
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            return json_response(413 if length > 0 else 400, {"error": "bad or oversized body"})
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        request = Request(
            method=self.command,
            path=path,
            query=dict(reversed(parse_qsl(query))),  # reversed: the first value of a repeated name wins
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        try:
            return emulator.handle(request)
        except Exception:  # the server's boundary: a bug must still answer, as a 500
            logger.exception("The %s emulator failed on %s %s", emulator.provider, self.command, path)
            return json_response(500, {"error": "emulator bug; see the local stack's log"})

    def _write(self, response: Response, common_headers: Iterable[tuple[str, str]]) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in (*common_headers, *response.headers):
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


def new_id(prefix: str = "", nbytes: int = 16) -> str:
    return f"{prefix}{secrets.token_hex(nbytes)}"


__all__ = [
    "DEFAULT_TIMEOUT_DELAY_SECONDS",
    "FAULT_KINDS",
    "Fault",
    "FaultQueue",
    "ProviderEmulator",
    "Request",
    "RequestLog",
    "Response",
    "json_response",
    "malformed_response",
    "new_id",
    "parse_json_object",
]
