"""`sam validate --lint` and `sam build` succeed (no container: this machine's Python 3.11)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAM = os.environ.get("SAM_CLI", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SAM, reason="SAM_CLI is not set: `make test` installs SAM CLI and sets it"),
]


def _sam(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(
        [SAM, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600, check=False
    )


def test_sam_validate_lint() -> None:
    result = _sam("validate", "--lint", "--region", "us-east-1")
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_build_builds_the_layer_and_every_function(tmp_path: Path) -> None:
    build_dir = tmp_path / "build"

    result = _sam("build", "--build-dir", str(build_dir), "--cache-dir", str(tmp_path / "cache"))

    assert result.returncode == 0, result.stdout + result.stderr
    layer = build_dir / "SharedLayer" / "python"
    assert (layer / "galleria" / "api" / "app.py").is_file()
    assert (layer / "galleria" / "api" / "openapi.json").is_file()  # served by the public function
    assert (layer / "PIL").is_dir() and (layer / "aws_lambda_powertools").is_dir()
    assert not (layer / "botocore").exists(), "botocore comes with the runtime; shipping it would shadow it"
    for function, module in [
        ("GenerateApiFunction", "generate.py"),
        ("GalleryApiFunction", "gallery.py"),
        ("PublicApiFunction", "public.py"),
        ("GenerationWorkerFunction", "generation_worker.py"),
    ]:
        assert (build_dir / function / module).is_file(), function
