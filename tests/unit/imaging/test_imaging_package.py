"""The imaging package must not make Pillow-free code pay for Pillow at import time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LAYER = Path(__file__).resolve().parents[3] / "layers" / "shared"


def test_importing_the_package_does_not_import_pillow() -> None:
    code = "import sys, galleria.imaging, galleria.imaging.formats; print('PIL' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(LAYER)}

    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"
