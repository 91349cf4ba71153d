"""Waiting before retrying a write that lost a race."""

from __future__ import annotations

import random
import time


def pause(attempt: int, *, base: float, cap: float) -> None:
    """Sleep a random time up to ``base * 2**attempt`` seconds, at most ``cap`` ("full jitter":
    contenders spread out instead of colliding again in lockstep)."""
    time.sleep(random.uniform(0, min(cap, base * 2**attempt)))  # noqa: S311 -- jitter, not a secret
