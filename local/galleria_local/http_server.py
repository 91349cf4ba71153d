"""The loopback HTTP server scaffolding the gateway and the provider emulators share."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer

KEEP_ALIVE_SECONDS = 60


def bound_host(server: TCPServer) -> str:
    """The address a TCP server's socket is bound to. getsockname() gives it as text for an IP
    socket; the stubs allow the bytes an AF_UNIX address may be."""
    host = server.server_address[0]
    return host if isinstance(host, str) else bytes(host).decode()


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of parallel clients would see resets.
    request_queue_size = 128


class OneMethodHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; every method goes to ``_serve``, which logs its own access line."""

    protocol_version = "HTTP/1.1"
    timeout = KEEP_ALIVE_SECONDS
    # Headers and body go out in two writes: with Nagle's algorithm the body then waits for the
    # client's delayed ACK of the headers, about 40 ms on every answer over a kept-alive connection.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: `_serve` writes one access-log line per request instead."""

    def _serve(self) -> None:
        raise NotImplementedError
