"""The local AWS: moto in server mode on loopback, and the clients and variables that point at it."""

from __future__ import annotations

import logging
import threading
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, ClassVar, Literal, overload

import boto3
from moto.core.config import default_user_config
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from galleria_local.http_server import bound_host
from galleria_local.iam.enforcement import enforced_iam
from galleria_local.intrinsics import REGION
from galleria_local.moto_serial import serialised_moto
from galleria_local.s3_events import aws_shaped_s3_events

if TYPE_CHECKING:  # the stubs are a development dependency, only for the type checker
    from botocore.client import BaseClient
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_sts import STSClient

# The account's root credentials: the local stack itself, the admin CLI and the tests sign with them.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class AwsClients(ABC):
    """Where provisioning gets its boto3 clients: the moto server, or moto's in-process mock in tests.

    `client()` is typed per service by the boto3 stubs; a subclass makes the clients in `_client()`.
    """

    @overload
    def client(self, service: Literal["cloudformation"]) -> CloudFormationClient: ...
    @overload
    def client(self, service: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["iam"]) -> IAMClient: ...
    @overload
    def client(self, service: Literal["s3"]) -> S3Client: ...
    @overload
    def client(self, service: Literal["secretsmanager"]) -> SecretsManagerClient: ...
    @overload
    def client(self, service: Literal["sqs"]) -> SQSClient: ...
    @overload
    def client(self, service: Literal["ssm"]) -> SSMClient: ...
    @overload
    def client(self, service: Literal["sts"]) -> STSClient: ...
    @overload
    def client(self, service: str) -> BaseClient: ...
    def client(self, service: str) -> BaseClient:
        return self._client(service)

    @abstractmethod
    def _client(self, service: str) -> BaseClient:
        """A boto3 client for ``service``."""


class LocalAws(AwsClients):
    """A moto server on an ephemeral port; `client()` and `environment()` both aim at it.

    moto keeps its state in module globals: every server in a process shares one account. So one
    LocalAws runs per process at a time, and each starts from an empty account, with AWS's managed
    policies in it. With `enforce_iam` every request is authorised as AWS would (iam/enforcement.py):
    `CREDENTIALS` are the root's and may do anything, role sessions what their role's policies allow.
    """

    _running: ClassVar[LocalAws | None] = None

    def __init__(self, host: str = "127.0.0.1", *, enforce_iam: bool = True) -> None:
        self._host = host
        self.enforce_iam = enforce_iam
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._session = boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )
        self._clients: dict[str, BaseClient] = {}
        self._lock = threading.Lock()
        self._moto_patches = ExitStack()
        self.endpoint_url = ""

    def start(self) -> None:
        if LocalAws._running is not None:
            raise RuntimeError("A local AWS already runs in this process, and moto's state is per process")
        # Werkzeug logs every request moto serves; the gateway's access log is the one worth reading.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._moto_patches.enter_context(serialised_moto())
        self._moto_patches.enter_context(aws_shaped_s3_events())
        self._moto_patches.enter_context(aws_managed_policies())
        if self.enforce_iam:
            root_key, root_secret = CREDENTIALS["AWS_ACCESS_KEY_ID"], CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
            self._moto_patches.enter_context(enforced_iam(root_key, root_secret))
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(self._host, 0, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        LocalAws._running = self
        self.endpoint_url = f"http://{bound_host(self._server)}:{self._server.server_address[1]}"
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
        self._moto_patches.close()

    def _client(self, service: str) -> BaseClient:
        """A cached boto3 client (boto3 clients are thread-safe; creating them is not cheap)."""
        with self._lock:
            if service not in self._clients:
                # The stubs type only a literal service name: client() above narrows the result.
                made: BaseClient = self._session.client(service, endpoint_url=self.endpoint_url)  # type: ignore[call-overload]
                self._clients[service] = made
            return self._clients[service]

    def environment(self) -> dict[str, str]:
        """The variables that send any AWS SDK in a process to this moto server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            **CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }


@contextmanager
def aws_managed_policies() -> Iterator[None]:
    """While open, a reset account has AWS's managed policies (AWSLambdaBasicExecutionRole...), which
    moto leaves out unless asked: the functions' roles attach them."""
    iam_config = default_user_config["iam"]
    loaded = iam_config.get("load_aws_managed_policies", False)
    iam_config["load_aws_managed_policies"] = True
    try:
        yield
    finally:
        iam_config["load_aws_managed_policies"] = loaded
