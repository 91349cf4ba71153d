"""`sam validate --lint` and `sam build` succeed (no container, on any CPU: wheels for arm64 Python 3.13)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAM = os.environ.get("SAM_CLI", "")
PYTHON_313_MAGIC = (3571).to_bytes(2, "little") + b"\r\n"  # CPython 3.13's bytecode magic number
UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based (bit 0), source not checked (bit 1 clear)

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


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scratch = tmp_path_factory.mktemp("sam")
    result = _sam("build", "--build-dir", str(scratch / "build"), "--cache-dir", str(scratch / "cache"))
    assert result.returncode == 0, result.stdout + result.stderr
    return scratch / "build"


def test_sam_build_builds_the_layer_and_every_function(build_dir: Path) -> None:
    layer = build_dir / "SharedLayer" / "python"
    assert (layer / "galleria" / "api" / "app.py").is_file()
    assert (layer / "galleria" / "api" / "openapi.json").is_file()  # served by the public function
    assert (layer / "PIL").is_dir() and (layer / "aws_lambda_powertools").is_dir()
    assert (layer / "aws_xray_sdk").is_dir()  # Powertools Tracer
    assert not (layer / "botocore").exists(), "botocore comes with the runtime; shipping it would shadow it"
    for function, module in [
        ("GenerateApiFunction", "generate.py"),
        ("GalleryApiFunction", "gallery.py"),
        ("PublicApiFunction", "public.py"),
        ("GenerationWorkerFunction", "generation_worker.py"),
    ]:
        assert (build_dir / function / module).is_file(), function


def test_the_layers_native_code_is_for_the_arm64_runtime_whatever_this_machines_cpu(build_dir: Path) -> None:
    layer = build_dir / "SharedLayer" / "python"
    extensions = sorted(layer.rglob("*.so"))
    assert extensions, "Pillow, pydantic-core and zlib-ng ship compiled extensions"
    foreign = [
        path.name
        for path in extensions
        if "aarch64" not in path.name and not path.parent.name.endswith(".libs")
    ]
    assert not foreign, f"extensions built for another CPU or Python: {foreign[:5]}"
    assert any(path.name.startswith("_imaging.cpython-313-aarch64-linux-gnu") for path in extensions)
    assert _is_arm64_elf(next(layer.glob("PIL/_imaging.cpython-313-*.so")))


def _is_arm64_elf(path: Path) -> bool:
    header = path.read_bytes()[:20]
    return header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64


def test_the_layer_ships_bytecode_for_the_runtime_that_never_goes_stale(build_dir: Path) -> None:
    """Lambda's filesystem is read-only: a module shipped without bytecode is compiled at every cold
    start. Unchecked-hash .pyc files are used whatever the sources' mtimes after zipping and deploying."""
    layer = build_dir / "SharedLayer" / "python"
    sources = sorted(layer.rglob("*.py"))
    bytecode = sorted(layer.rglob("*.pyc"))

    uncompiled = [source for source in sources if not _bytecode_of(source).is_file()]
    assert not uncompiled, f"{len(uncompiled)} modules without bytecode, e.g. {uncompiled[:3]}"
    for package in ("galleria", "aws_lambda_powertools", "pydantic", "pydantic_core", "aws_xray_sdk"):
        assert (layer / package / "__pycache__" / "__init__.cpython-313.pyc").is_file(), package
    headers = {pyc.read_bytes()[:8] for pyc in bytecode}
    assert headers == {PYTHON_313_MAGIC + UNCHECKED_HASH.to_bytes(4, "little")}
    assert all(pyc.name.endswith(".cpython-313.pyc") for pyc in bytecode)
    sourceless = [
        pyc for pyc in bytecode if not (pyc.parent.parent / f"{pyc.name.split('.')[0]}.py").is_file()
    ]
    assert not sourceless, "sources stay beside their bytecode (tracebacks show them)"


def _bytecode_of(source: Path) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
