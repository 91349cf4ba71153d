"""Handlers invoked with API Gateway and SQS events against moto in-process.

The tables, bucket, queues and secret come from template.yaml through the local stack's own
provisioner, and every handler runs with the environment the template gives its function
(galleria_local.in_process).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from galleria.config import get_settings
from galleria.providers.transport import shared_http
from galleria_local.in_process import InProcessStack as Stack
from galleria_local.in_process import LambdaContext, TeamKey, create_team, in_process_stack


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    for name, value in {
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "SYNC_WAIT_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    for provider_key in ("GEMINI_API_KEY", "OPENAI_API_KEY", "BFL_API_KEY", "MEDIA_SIGNING_KEY"):
        monkeypatch.delenv(provider_key, raising=False)
    with in_process_stack() as provisioned:
        yield provisioned


@pytest.fixture
def cloud_keys(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keys of the three cloud providers (their real base URLs, mocked with respx by the tests),
    BFL polled without waiting, and two retries of a passing failure."""
    for name, value in {
        "GEMINI_API_KEY": "g-test-key",
        "OPENAI_API_KEY": "sk-test",
        "BFL_API_KEY": "bfl-test",
        "BFL_POLL_INTERVAL_SECONDS": "0",
        "PROVIDER_MAX_RETRIES": "2",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    shared_http.cache_clear()
    yield
    shared_http.cache_clear()


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def team(stack: Stack) -> TeamKey:
    return create_team()


@pytest.fixture
def other_team(stack: Stack) -> TeamKey:
    return create_team()


@pytest.fixture
def make_team(stack: Stack) -> Callable[..., TeamKey]:
    return create_team
