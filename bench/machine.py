"""The line each benchmark prints about the machine it ran on."""

from __future__ import annotations

import os
import platform
import sys


def machine() -> str:
    """CPU model and count, the load average when the run started, Python and platform."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return f"{cpu}, {os.cpu_count()} CPUs{load}; Python {platform.python_version()} ({sys.platform})"
