"""The local API Gateway: an HTTP server that turns requests into HTTP API events for the functions."""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Mapping

from galleria_local.cors import CorsPolicy
from galleria_local.http_events import (
    HttpRequest,
    HttpResponse,
    build_event,
    gateway_error,
    new_request_id,
    to_http_response,
)
from galleria_local.http_server import LoopbackServer, OneMethodHandler, bound_host
from galleria_local.ports import PortBusyError
from galleria_local.routes import RouteTable
from galleria_local.runtime import FunctionPool

logger = logging.getLogger(__name__)

# API Gateway takes 10 MB payloads; the margin lets a 10 MB file arrive base64-encoded in a JSON body.
MAX_BODY_BYTES = 10 * 1024 * 1024 * 4 // 3 + 64 * 1024
_MANAGED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


class BadRequestError(ValueError):
    """A request the server cannot read: bad framing or a body over the limit."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Gateway:
    """Routes, CORS and invocation for each request. Binding happens at construction (the port is
    claimed early); serving starts with `start()`, once the functions are ready."""

    def __init__(self, host: str, port: int, *, api_id: str) -> None:
        try:
            self._server = _Server((host, port), _RequestHandler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortBusyError(host, port) from exc
            raise
        self._server.gateway = self
        self.api_id = api_id
        self._routes = RouteTable([])
        self._pools: Mapping[str, FunctionPool] = {}
        self._cors: CorsPolicy | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        host = bound_host(self._server)
        return f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{self.port}"  # noqa: S104 - a comparison

    def start(self, routes: RouteTable, pools: Mapping[str, FunctionPool], cors: CorsPolicy | None) -> None:
        self._routes, self._pools, self._cors = routes, pools, cors
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="gateway", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def handle(self, request: HttpRequest) -> HttpResponse:
        """The response API Gateway would give, CORS headers and `apigw-requestid` included."""
        request_id = new_request_id()
        origin = _header(request, "origin")
        preflight = request.method == "OPTIONS" and _header(request, "access-control-request-method")
        if self._cors is not None and preflight:
            status, headers, body = 204, list(self._cors.preflight_headers(origin).items()), b""
        else:
            response = self._invoke(request, request_id)
            status, headers, body = response.status, response.headers, response.body
            if self._cors is not None:
                headers = [header for header in headers if not _is_cors_header(header[0])]
                headers += self._cors.response_headers(origin).items()
        return HttpResponse(status, [*headers, ("apigw-requestid", request_id)], body)

    def _invoke(self, request: HttpRequest, request_id: str) -> HttpResponse:
        match = self._routes.match(request.method, request.target.partition("?")[0])
        if match is None:
            return gateway_error(404, "Not Found")
        route = match.route
        event = build_event(request, match, api_id=self.api_id, request_id=request_id)
        result = self._pools[route.function_id].invoke(event, wait_limit_seconds=route.timeout_seconds)
        if result.error is not None:
            logger.warning(
                "%s %s: %s: %s",
                route.function_id,
                route.route_key,
                result.error.error_type,
                result.error.message,
            )
            if result.timed_out:
                return gateway_error(503, "Service Unavailable")
            return gateway_error(500, "Internal Server Error")
        try:
            return to_http_response(result.payload)
        except ValueError as exc:
            logger.warning("%s %s: %s", route.function_id, route.route_key, exc)
            return gateway_error(500, "Internal Server Error")


class _Server(LoopbackServer):
    gateway: Gateway


class _RequestHandler(OneMethodHandler):
    server: _Server

    def _serve(self) -> None:
        started = time.perf_counter()
        try:
            body = self._read_body()
        except BadRequestError as exc:
            self.close_connection = True  # the unread body would be taken for the next request
            response = gateway_error(exc.status, str(exc))
        else:
            request = HttpRequest(
                method=self.command,
                target=self.path,
                protocol=self.request_version,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
                server_port=self.server.server_address[1],
            )
            try:
                response = self.server.gateway.handle(request)
            except Exception:  # the server's boundary: a bug here must still answer, as API Gateway would
                logger.exception("The local gateway failed on %s %s", self.command, self.path)
                response = gateway_error(500, "Internal Server Error")
        try:
            self._write(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away; nothing to answer
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info("%s %s %d %.0f ms", self.command, self.path, response.status, elapsed_ms)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            raise BadRequestError(400, "Bad Request") from None
        if length > MAX_BODY_BYTES:
            raise BadRequestError(413, "Request Entity Too Large")
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadRequestError(400, "Bad Request") from None
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise BadRequestError(413, "Request Entity Too Large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _write(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in _MANAGED_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


def _header(request: HttpRequest, name: str) -> str | None:
    return next((value for key, value in request.headers if key.lower() == name), None)


def _is_cors_header(name: str) -> bool:
    return name.lower().startswith("access-control-")
