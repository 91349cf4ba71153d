"""Lazy, cached boto3 clients. Only data-access modules call these."""

from __future__ import annotations

from functools import cache
from typing import Any

# Standard retry mode retries throttling and 5xx with backoff; timeouts keep a stuck call
# from eating a whole Lambda invocation.
_CLIENT_CONFIG = {
    "retries": {"mode": "standard", "max_attempts": 5},
    "connect_timeout": 3,
    "read_timeout": 20,
}


@cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(**_CLIENT_CONFIG)
    if service == "s3":
        config = config.merge(Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    return boto3.client(service, config=config)


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints and credentials between cases)."""
    client.cache_clear()
