"""Lazy, cached boto3 clients. Only data-access modules call these; ``gave_up`` tells the API's
error handler an AWS service that stayed unavailable from a bug."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:  # the stubs are a development dependency: the layer does not ship them
    from botocore.client import BaseClient
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

# Standard retry mode retries throttling and 5xx with backoff; timeouts keep a stuck call
# from eating a whole Lambda invocation.
_CLIENT_CONFIG: dict[str, Any] = {
    "retries": {"mode": "standard", "max_attempts": 5},
    "connect_timeout": 3,
    "read_timeout": 20,
}


_clients: dict[str, BaseClient] = {}


@overload
def client(service: Literal["dynamodb"]) -> DynamoDBClient: ...
@overload
def client(service: Literal["s3"]) -> S3Client: ...
@overload
def client(service: Literal["sqs"]) -> SQSClient: ...
@overload
def client(service: Literal["secretsmanager"]) -> SecretsManagerClient: ...
@overload
def client(service: Literal["cloudformation"]) -> CloudFormationClient: ...
@overload
def client(service: str) -> BaseClient: ...
def client(service: str) -> BaseClient:
    """The process's one client for ``service``, made on first use."""
    if service not in _clients:
        _clients[service] = _new_client(service)
    return _clients[service]


def _new_client(service: str) -> BaseClient:
    import boto3
    from botocore.config import Config

    config = Config(**_CLIENT_CONFIG)
    if service == "s3":
        config = config.merge(Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    made: BaseClient = boto3.client(service, config=config)  # type: ignore[call-overload]  # any service
    return made


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints and credentials between cases)."""
    _clients.clear()


def close_connections() -> None:
    """Close every cached client's pooled connections; the clients stay usable and reconnect on demand."""
    for cached in _clients.values():
        cached.close()


def gave_up(error: BaseException) -> bool:
    """Whether ``error``, or an error it was raised from, is an AWS call its client gave up on: still
    throttled or failing (5xx) after the retries above, or never connected. The service is busy, the
    request itself may well succeed when sent again."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as NotConnected

    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ClientError):
            metadata = cause.response.get("ResponseMetadata", {})
            return bool(metadata.get("MaxAttemptsReached") or metadata.get("RetryQuotaReached"))
        if isinstance(cause, NotConnected | HTTPClientError):
            return True
        cause = cause.__cause__
    return False
