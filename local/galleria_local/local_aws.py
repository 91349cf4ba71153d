"""The local AWS: moto in server mode on loopback, and the clients and variables that point at it."""

from __future__ import annotations

import logging
import threading
import urllib.request
from contextlib import ExitStack
from typing import Any, ClassVar, Protocol

import boto3
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from galleria_local.intrinsics import REGION
from galleria_local.moto_serial import serialised_moto

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class AwsClients(Protocol):
    """Where provisioning gets its boto3 clients: the moto server, or moto's in-process mock in tests."""

    def client(self, service: str) -> Any: ...


class LocalAws:
    """A moto server on an ephemeral port; `client()` and `environment()` both aim at it.

    moto keeps its state in module globals: every server in a process shares one account. So one
    LocalAws runs per process at a time, and each starts from an empty account.
    """

    _running: ClassVar[LocalAws | None] = None

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._session = boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._serialised = ExitStack()
        self.endpoint_url = ""

    def start(self) -> None:
        if LocalAws._running is not None:
            raise RuntimeError("A local AWS already runs in this process, and moto's state is per process")
        # Werkzeug logs every request moto serves; the gateway's access log is the one worth reading.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._serialised.enter_context(serialised_moto())
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(self._host, 0, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        LocalAws._running = self
        host, port = self._server.server_address[:2]
        self.endpoint_url = f"http://{host}:{port}"
        # A fresh account; the reset endpoint is moto server's documented way to clear its state.
        reset = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", data=b"", method="POST")  # noqa: S310
        urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310 - plain http to our own server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join()
            self._server = None
            LocalAws._running = None
        self._serialised.close()

    def client(self, service: str) -> Any:
        """A cached boto3 client (boto3 clients are thread-safe; creating them is not cheap)."""
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(service, endpoint_url=self.endpoint_url)
            return self._clients[service]

    def environment(self) -> dict[str, str]:
        """The variables that send any AWS SDK in a process to this moto server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            **CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
