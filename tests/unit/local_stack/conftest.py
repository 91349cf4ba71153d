"""Fixtures of the local stack's tests: a moto server, throwaway functions and their templates."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from galleria_local.functions import FunctionSpec
from galleria_local.local_aws import LocalAws


@dataclass(frozen=True)
class StandInTeam:
    """What the application's seed_dev_team returns; these tests' templates have no accounts table."""

    team_id: str = "team_local_test"
    api_key: str = "gal_test_key"


@pytest.fixture
def seed_stand_in_team() -> Callable[[object], StandInTeam]:
    """A stand-in for galleria_local.devteam.seed_dev_team."""
    return lambda environment: StandInTeam()


@pytest.fixture(scope="module")
def local_aws() -> Iterator[LocalAws]:
    """One moto server per module (stopping one takes half a second); one runs per process at a time."""
    aws = LocalAws()
    aws.start()
    yield aws
    aws.stop()


WriteCode = Callable[[str, str, str], Path]


@pytest.fixture
def write_code(tmp_path: Path) -> WriteCode:
    """Write `<tmp>/<folder>/<module>.py` (dedented) and return the folder."""

    def write(folder: str, module: str, source: str) -> Path:
        directory = tmp_path / folder
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        return directory

    return write


@pytest.fixture
def write_template(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "template.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


MakeSpec = Callable[..., FunctionSpec]


@pytest.fixture
def make_spec() -> MakeSpec:
    """A FunctionSpec as read_functions would build it, for runtime tests without a template."""

    def make(code_uri: Path, handler: str, **overrides: object) -> FunctionSpec:
        fields: dict[str, object] = {
            "logical_id": "TestFunction",
            "name": "galleria-TestFunction",
            "code_uri": code_uri,
            "handler": handler,
            "runtime": "python3.13",
            "timeout_seconds": 5,
            "memory_mb": 256,
            "environment": {},
            "layers": (),
            "routes": (),
            "sqs_sources": (),
            **overrides,
        }
        return FunctionSpec(**fields)  # type: ignore[arg-type]

    return make
