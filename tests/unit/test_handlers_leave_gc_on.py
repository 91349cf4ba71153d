"""Every handler module turns garbage collection back on once it is imported.

Importing ``galleria.cold_start`` pauses the collector for the handler module's import (the module
says why), and the handler module's last line, ``handler_loaded()``, turns it back on. A handler that
forgot that line would serve every request with the collector off: cycles would never be freed, and
memory would grow until Lambda ended the execution environment.

Each handler module is imported as a cold start does: ``galleria.cold_start`` anew, so that importing
it pauses the collector, and the handler under a private name, so that no later test meets a handler
module imported here (see tests/template/test_template.py).
"""

from __future__ import annotations

import gc
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import galleria

ROOT = Path(__file__).resolve().parents[2]
# Each function folder is a Lambda code root holding its one handler module.
HANDLER_MODULES = sorted((ROOT / "functions").glob("*/*.py"))


@pytest.fixture
def cold_start(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """galleria.cold_start not yet imported, as in a new execution environment; the collector on
    again and unfrozen afterwards, whatever the handler did."""
    # The same settings every function has (template.yaml's Globals); no X-Ray patching here.
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "galleria")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Galleria")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delitem(sys.modules, "galleria.cold_start", raising=False)
    monkeypatch.delattr(galleria, "cold_start", raising=False)
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def _import_privately(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_gc_test_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_function_folder_holds_one_handler_module() -> None:
    folders = sorted(path for path in (ROOT / "functions").iterdir() if path.is_dir())
    assert folders and [path.parent for path in HANDLER_MODULES] == folders


@pytest.mark.parametrize("path", HANDLER_MODULES, ids=lambda path: path.stem)
@pytest.mark.usefixtures("cold_start")
def test_importing_a_handler_module_leaves_garbage_collection_on(path: Path) -> None:
    module = _import_privately(path)

    # The handler's own import of galleria.cold_start ran, so the collector was paused...
    assert module.handler_loaded is sys.modules["galleria.cold_start"].handler_loaded
    # ...and the handler module turned it back on.
    assert gc.isenabled(), f"functions/{path.parent.name}/{path.name} must call handler_loaded() last"
