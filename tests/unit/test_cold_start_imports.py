"""API functions must not pay at cold start for what only some requests need (Pillow, httpx), nor
for the models of resources they do not serve.

They import as in Lambda, tracing on: Powertools Tracer then patches libraries for X-Ray, and
patching one imports it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("PIL", "httpx", "galleria.imaging", "galleria.providers.local_procedural")
MODELS = "galleria.api.models."
# Each API function's folder, handler module, and the model modules (galleria.api.models) of its routes.
FUNCTIONS = {
    "generate": ("generate", {"account", "catalog", "common", "generation", "jobs", "storage", "variants"}),
    "gallery": ("gallery", {"common", "items", "jobs", "public", "storage", "uploads"}),
    "collections": ("gallery_collections", {"bulk", "collections", "common"}),
    "bulk": ("bulk", {"bulk", "common", "exports", "jobs"}),
    "shares": ("share_links", {"common", "shares"}),
    "public": ("public", {"common", "public", "share_pages"}),
}


def loaded_modules(function: str) -> list[str]:
    """The modules importing the function's handler module loads, in a fresh interpreter."""
    module = FUNCTIONS[function][0]
    code = f"import json, sys\nimport {module}\nprint(json.dumps(sorted(sys.modules)))"
    env = {
        **{name: value for name, value in os.environ.items() if name != "POWERTOOLS_TRACE_DISABLED"},
        "PYTHONPATH": str(ROOT / "functions" / function),
        "POWERTOOLS_METRICS_NAMESPACE": "t",
        "LAMBDA_TASK_ROOT": str(ROOT / "functions" / function),  # Tracer traces only in Lambda
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=60
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("function", ["generate", "gallery", "public"])
def test_api_handler_modules_import_no_image_or_http_libraries(function: str) -> None:
    assert [m for m in HEAVY if m in loaded_modules(function)] == []


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_api_handler_modules_load_only_their_own_models(function: str) -> None:
    models = {m.removeprefix(MODELS) for m in loaded_modules(function) if m.startswith(MODELS)}
    assert models == FUNCTIONS[function][1]
