"""Start and stop a real local stack (moto server, gateway, pollers, function processes) for tests.

Shared by the HTTP tests (tests/e2e) and the browser tests (tests/browser); each suite starts its
own stack on a free port.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class RunningStack:
    base_url: str
    api_key: str
    team_id: str
    state_file: Path
    process: subprocess.Popen[str]
    output_file: Path  # the stack's output: its banner and one access-log line per request

    @property
    def emulators(self) -> dict[str, str]:
        """Provider → base URL of its emulator (control endpoints under /__emulator/)."""
        return dict(json.loads(self.state_file.read_text())["emulators"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_stack(tmp: Path, port: int, *, args: Sequence[str] = ()) -> RunningStack:
    """A stack of template.yaml, or of what `args` (more galleria-local options) say."""
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
    # To a file, not a pipe: nobody reads a pipe while the tests run, and a full one would block
    # the gateway at its next access-log line.
    output_file = tmp / "stack-output.log"
    with output_file.open("w") as output:
        process = _launch(port, state_file, env, output, args)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"local stack exited early:\n{output_file.read_text()}")
        if state_file.exists():
            state = json.loads(state_file.read_text())
            try:
                if httpx.get(f"{state['baseUrl']}/api/v1/models", timeout=5).status_code == 200:
                    return RunningStack(
                        state["baseUrl"], state["apiKey"], state["teamId"], state_file, process, output_file
                    )
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("local stack did not become ready in time")


def _launch(
    port: int, state_file: Path, env: dict[str, str], output: IO[str], args: Sequence[str]
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "galleria-local"),
            "--port",
            str(port),
            "--state-file",
            str(state_file),
            "--sqs-retry-delay",
            "1",
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_stack(stack: RunningStack) -> str:
    """Stop it as Ctrl-C does; its whole output."""
    stack.process.send_signal(signal.SIGINT)
    stack.process.wait(timeout=30)
    return stack.output_file.read_text()


def run_admin(stack: RunningStack, *args: str) -> dict:
    """Run galleria-admin against the stack; returns its JSON output."""
    cli = str(Path(sys.executable).parent / "galleria-admin")
    result = subprocess.run(
        [cli, "--state-file", str(stack.state_file), *args], capture_output=True, text=True, check=True
    )
    return dict(json.loads(result.stdout))
