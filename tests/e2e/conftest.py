"""A real local stack (moto server, gateway, pollers, function processes) for HTTP tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from local_stack import RunningStack, _free_port, start_stack, stop_stack
from local_stack import run_admin as _admin


class StackControl:
    """Start and stop extra stacks inside a test."""

    start = staticmethod(start_stack)
    stop = staticmethod(stop_stack)


@pytest.fixture
def stack_control() -> StackControl:
    return StackControl()


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = start_stack(tmp_path_factory.mktemp("stack"), _free_port())
    yield stack
    stop_stack(stack)


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack for one module alone, for tests that leave much work queued behind them."""
    stack = start_stack(tmp_path_factory.mktemp("stack"), _free_port())
    yield stack
    stop_stack(stack)


@pytest.fixture
def client(local_stack: RunningStack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=local_stack.base_url,
        headers={"Authorization": f"Bearer {local_stack.api_key}"},
        timeout=60,
    ) as http:
        yield http


@dataclass(frozen=True)
class Team:
    team_id: str
    key: str
    client: httpx.Client


@pytest.fixture
def admin(local_stack: RunningStack) -> Any:
    """Run galleria-admin against the local stack; returns its JSON output."""
    return lambda *args: _admin(local_stack, *args)


@pytest.fixture
def make_team(local_stack: RunningStack) -> Iterator[Any]:
    """A new team with its own key and client (its own rate window and balance)."""
    clients: list[httpx.Client] = []

    def make(plan: str = "enterprise", credits: int = 1000) -> Team:
        created = _admin(
            local_stack, "create-team", "--name", "e2e", "--plan", plan, "--credits", str(credits)
        )
        client = httpx.Client(
            base_url=local_stack.base_url,
            headers={"Authorization": f"Bearer {created['apiKey']}"},
            timeout=60,
        )
        clients.append(client)
        return Team(created["teamId"], created["apiKey"], client)

    yield make
    for client in clients:
        client.close()
