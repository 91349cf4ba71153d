"""Garbage collection paused while a function's modules load, then their objects set aside.

Loading a handler allocates a few hundred thousand objects that all stay alive (modules, classes,
pydantic's validators), and CPython's collector runs a full pass each time the heap has grown by
a quarter: several passes over live objects, a tenth or more of an API function's cold start
(bench/cold_start.py). Each handler module imports this module before anything else and calls
``handler_loaded()`` as its last line. ``gc.freeze()`` then moves what the import built to the permanent
generation, so later collections during requests skip it too (the pattern the gc documentation
gives for objects that live as long as the process).
"""

from __future__ import annotations

import gc

gc.disable()


def handler_loaded() -> None:
    """The handler module is built: register the SnapStart hooks (galleria.snapstart), keep its
    objects out of every later collection, collect again."""
    from galleria import snapstart

    snapstart.register_hooks()
    gc.freeze()
    gc.enable()
