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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_stack(tmp: Path, port: int) -> RunningStack:
    state_file = tmp / "stack.json"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "AWS_ENDPOINT_URL"}
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "galleria-local"),
            "--port",
            str(port),
            "--state-file",
            str(state_file),
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


@pytest.fixture
def client(local_stack: RunningStack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=local_stack.base_url,
        headers={"Authorization": f"Bearer {local_stack.api_key}"},
        timeout=60,
    ) as http:
        yield http
