"""The local stack runs an emulator per provider without a key and points the functions at it."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from galleria_local.__main__ import parse_args
from galleria_local.banner import render_banner
from galleria_local.stack import LocalStack

# `make unit` leaves these out: whole local stacks with the provider emulators, seconds in all.
pytestmark = pytest.mark.slow

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.13
    Timeout: 10
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  Probe:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: probe/
      Handler: probe.handler
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /probe, Method: GET}}
"""

# Reports the provider variables, and asks the BFL emulator (if any) about a task with its key.
HANDLER = """
import json
import os
import urllib.error
import urllib.request

NAMES = ("GEMINI", "OPENAI", "BFL")


def handler(event, context):
    env = {
        name: os.environ.get(name)
        for prefix in NAMES
        for name in (prefix + "_BASE_URL", prefix + "_API_KEY")
    }
    env["EMULATED_PROVIDERS"] = os.environ.get("EMULATED_PROVIDERS")
    env["BFL_POLL_INTERVAL_SECONDS"] = os.environ.get("BFL_POLL_INTERVAL_SECONDS")
    bfl_status = None
    if env["BFL_BASE_URL"]:
        request = urllib.request.Request(
            env["BFL_BASE_URL"] + "/v1/get_result?id=probe", headers={"x-key": env["BFL_API_KEY"]}
        )
        try:
            urllib.request.urlopen(request, timeout=5)
        except urllib.error.HTTPError as error:
            bfl_status = [error.code, json.loads(error.read())["status"]]
    return {"env": env, "bfl": bfl_status}
"""

KEYS = ("GEMINI_API_KEY", "OPENAI_API_KEY", "BFL_API_KEY")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "probe.py").write_text(textwrap.dedent(HANDLER), encoding="utf-8")
    return tmp_path


@pytest.fixture
def no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)


class RecordingSeeder:
    def __init__(self, seed_stand_in_team: Callable[[object], Any]) -> None:
        self.environment: dict[str, str] = {}
        self._seed = seed_stand_in_team

    def __call__(self, environment: Mapping[str, str]) -> Any:
        self.environment = dict(environment)
        return self._seed(environment)


def start_stack(project: Path, seeder: Callable[[Mapping[str, str]], Any], **options: Any) -> LocalStack:
    return LocalStack(
        project / "template.yaml",
        port=0,
        state_dir=project / ".local-stack",
        state_file=project / ".local-stack" / "stack.json",
        seed_dev_team=seeder,
        **options,
    )


@pytest.mark.usefixtures("no_provider_keys")
def test_without_keys_every_provider_is_emulated_and_reachable_from_the_functions(
    project: Path, seed_stand_in_team: Callable[[object], Any]
) -> None:
    seeder = RecordingSeeder(seed_stand_in_team)
    with start_stack(project, seeder) as stack:
        probe = httpx.get(f"{stack.base_url}/probe", timeout=20).json()
        state = json.loads((project / ".local-stack" / "stack.json").read_text())
        banner = render_banner(stack)
        emulators = stack.emulators

    assert set(emulators) == {"google", "openai", "bfl"}
    assert all(url.startswith("http://127.0.0.1:") for url in emulators.values())
    assert state["emulators"] == emulators
    env = probe["env"]
    assert env["GEMINI_BASE_URL"] == emulators["google"]
    assert env["OPENAI_BASE_URL"] == emulators["openai"]
    assert env["BFL_BASE_URL"] == emulators["bfl"]
    assert all(env[name] for name in KEYS)
    assert len({env[name] for name in KEYS}) == 3
    assert env["EMULATED_PROVIDERS"] == "google,openai,bfl"
    assert env["BFL_POLL_INTERVAL_SECONDS"] == "0.2"
    assert probe["bfl"] == [404, "Task not found"]  # the key the function got is the emulator's
    assert seeder.environment["GEMINI_BASE_URL"] == emulators["google"]
    assert "Emulated   google" in banner
    assert "gemini-2.5-flash-image" in banner
    assert "flux-kontext-max" in banner
    assert "set GEMINI_API_KEY, OPENAI_API_KEY, BFL_API_KEY" in banner
    for url in emulators.values():  # stopped with the stack
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/__emulator/faults", timeout=2)


@pytest.mark.usefixtures("no_provider_keys")
def test_a_real_key_disables_that_providers_emulator(
    project: Path, seed_stand_in_team: Callable[[object], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-key")
    with start_stack(project, seed_stand_in_team) as stack:
        probe = httpx.get(f"{stack.base_url}/probe", timeout=20).json()
        state = json.loads((project / ".local-stack" / "stack.json").read_text())
        banner = render_banner(stack)

    assert set(state["emulators"]) == {"google", "bfl"}
    env = probe["env"]
    assert env["OPENAI_API_KEY"] == "sk-real-key"
    assert env["OPENAI_BASE_URL"] is None
    assert env["EMULATED_PROVIDERS"] == "google,bfl"
    assert "openai" not in banner
    assert "set GEMINI_API_KEY, BFL_API_KEY" in banner


@pytest.mark.usefixtures("no_provider_keys")
def test_emulators_can_be_turned_off(project: Path, seed_stand_in_team: Callable[[object], Any]) -> None:
    with start_stack(project, seed_stand_in_team, emulate_providers=False) as stack:
        probe = httpx.get(f"{stack.base_url}/probe", timeout=20).json()
        banner = render_banner(stack)

    assert stack.emulators == {}
    assert all(value is None for value in probe["env"].values())
    assert "Emulated" not in banner


def test_the_cli_has_a_no_emulators_flag() -> None:
    assert parse_args(["--no-emulators"]).no_emulators is True
    assert parse_args([]).no_emulators is False
