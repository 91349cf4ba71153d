"""`galleria-local` as a user runs it: a busy port, the banner, the state file, a clean Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from galleria_local.ports import PortBusyError, ensure_port_free

# `make unit` leaves these out: galleria-local started and signalled as a process, seconds in all.
pytestmark = pytest.mark.slow

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.13
    Timeout: 5
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello/
      Handler: hello.handler
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /hello, Method: GET}}
Outputs:
  ApiUrl:
    Value: !Sub https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}
"""

HANDLER = """
import os


def handler(event, context):
    return {"pid": os.getpid()}
"""

# The CLI with a stand-in for the application's dev team seeder (these templates have no accounts).
BOOTSTRAP = """
import sys, types
stand_in = types.ModuleType("galleria_local.devteam")
stand_in.seed_dev_team = lambda environment: types.SimpleNamespace(team_id="team_cli", api_key="key_cli")
sys.modules["galleria_local.devteam"] = stand_in
from galleria_local.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.fixture
def cli_environment(project_root: Path) -> dict[str, str]:
    paths = [
        str(project_root / "local"),
        str(project_root / "layers" / "shared"),
        os.environ.get("PYTHONPATH", ""),
    ]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in paths if path)}


def test_a_busy_port_is_reported_in_one_line(busy_port: int) -> None:
    with pytest.raises(PortBusyError) as busy:
        ensure_port_free("127.0.0.1", busy_port)

    assert str(busy.value) == (
        f"Port {busy_port} on 127.0.0.1 is busy — is another stack running? Choose another with --port."
    )


def test_the_cli_exits_2_on_a_busy_port(busy_port: int, cli_environment: dict[str, str]) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "galleria_local", "--port", str(busy_port)],
        env=cli_environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert finished.returncode == 2
    assert finished.stderr == (
        f"Port {busy_port} on 127.0.0.1 is busy — is another stack running? Choose another with --port.\n"
    )
    assert finished.stdout == ""


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_the_cli_serves_until_a_signal_then_stops_cleanly(
    tmp_path: Path, cli_environment: dict[str, str], stop_signal: signal.Signals
) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "hello").mkdir()
    (tmp_path / "hello" / "hello.py").write_text(textwrap.dedent(HANDLER), encoding="utf-8")
    state_file = tmp_path / "state" / "stack.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            BOOTSTRAP,
            "--port",
            "0",
            "--template",
            "template.yaml",
            "--state-file",
            str(state_file),
        ],
        cwd=tmp_path,
        env=cli_environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not state_file.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the stack did not start"
            time.sleep(0.05)
        state = json.loads(state_file.read_text())
        worker_pid = httpx.get(f"{state['baseUrl']}/hello", timeout=10).json()["pid"]

        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 0
    assert state["apiKey"] == "key_cli"
    assert state["teamId"] == "team_cli"
    assert state["outputs"] == {"ApiUrl": state["baseUrl"]}
    assert state["awsEndpoint"].startswith("http://127.0.0.1:")
    assert state["pid"] == process.pid
    assert f"API        {state['baseUrl']}" in stdout
    assert "Authorization: Bearer key_cli" in stdout
    assert f"curl -s -X POST {state['baseUrl']}/api/v1/generate-image" in stdout
    assert '"model": "local/procedural"' in stdout
    assert stdout.rstrip().endswith("Galleria local stack stopped. Bye.")
    assert "GET /hello 200" in stderr
    assert "Traceback" not in stderr
    assert not state_file.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)


def test_a_start_up_error_is_one_line_and_exit_1(tmp_path: Path, cli_environment: dict[str, str]) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "galleria_local", "--port", "0", "--template", str(tmp_path / "missing.yaml")],
        env=cli_environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert finished.returncode == 1
    assert finished.stderr.startswith("The local stack could not start: FileNotFoundError:")
    assert "Traceback" not in finished.stderr
