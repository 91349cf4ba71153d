"""A real local stack (moto server, gateway, pollers, function processes) for HTTP tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class RunningStack:
    base_url: str
    api_key: str
    team_id: str
    state_file: Path
    process: subprocess.Popen[str]

    @property
    def emulators(self) -> dict[str, str]:
        """Provider → base URL of its emulator (control endpoints under /__emulator/)."""
        return dict(json.loads(self.state_file.read_text())["emulators"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_stack(tmp: Path, port: int) -> RunningStack:
    state_file = tmp / "stack.json"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "AWS_ENDPOINT_URL"}
    # Every cloud model is served by the emulators. A provider call may take 10 s in all, so the
    # emulators' timeout fault is quick to reach; failed jobs come back after 1 s, not minutes.
    env["PROVIDER_BUDGET_SECONDS"] = "10"
    # One retry inside a call (enough for a rate_limit fault): an outage then takes 2 requests and
    # at most 0.5 s of backoff per delivery, so all 5 deliveries end in about 10 s — well within the
    # sync API's 25 s wait, and the sync caller deterministically gets the 502 (with 3 retries, up
    # to 3.5 s of jittered backoff per delivery could push the give-up past the wait).
    env["PROVIDER_MAX_RETRIES"] = "1"
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "galleria-local"),
            "--port",
            str(port),
            "--state-file",
            str(state_file),
            "--sqs-retry-delay",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"local stack exited early:\n{process.stdout.read() if process.stdout else ''}"
            )
        if state_file.exists():
            state = json.loads(state_file.read_text())
            try:
                if httpx.get(f"{state['baseUrl']}/api/v1/models", timeout=5).status_code == 200:
                    return RunningStack(
                        state["baseUrl"], state["apiKey"], state["teamId"], state_file, process
                    )
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("local stack did not become ready in time")


def stop_stack(stack: RunningStack) -> str:
    stack.process.send_signal(signal.SIGINT)
    output, _ = stack.process.communicate(timeout=30)
    return output


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


def _admin(stack: RunningStack, *args: str) -> dict:
    cli = str(Path(sys.executable).parent / "galleria-admin")
    result = subprocess.run(
        [cli, "--state-file", str(stack.state_file), *args], capture_output=True, text=True, check=True
    )
    return dict(json.loads(result.stdout))


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
