"""Whether the gateway's address is free, checked before anything slow starts."""

from __future__ import annotations

import errno
import socket


class PortBusyError(OSError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            errno.EADDRINUSE,
            f"Port {port} on {host} is busy — is another stack running? Choose another with --port.",
        )
        self.host = host
        self.port = port

    def __str__(self) -> str:
        return self.strerror or ""


def ensure_port_free(host: str, port: int) -> None:
    """Raise PortBusyError if a server could not bind host:port (as the gateway will, SO_REUSEADDR set)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortBusyError(host, port) from exc
            raise
