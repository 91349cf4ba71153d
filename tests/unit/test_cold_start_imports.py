"""API functions must not pay at cold start for what only some requests need (Pillow, httpx).

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


@pytest.mark.parametrize("function", ["generate", "gallery", "public"])
def test_api_handler_modules_import_no_image_or_http_libraries(function: str) -> None:
    code = (
        f"import json, sys\nimport {function}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    env = {
        **{name: value for name, value in os.environ.items() if name != "POWERTOOLS_TRACE_DISABLED"},
        "PYTHONPATH": str(ROOT / "functions" / function),
        "POWERTOOLS_METRICS_NAMESPACE": "t",
        "LAMBDA_TASK_ROOT": str(ROOT / "functions" / function),  # Tracer traces only in Lambda
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=60
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
