"""The month's workload and the command-line flags that set it, one flag per field."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, fields
from typing import Any

from bench.cost.template_facts import Deployment


@dataclass(frozen=True)
class Workload:
    generations: float = 10_000.0
    gallery_reads: float = 100_000.0
    share_views: float = 50_000.0
    stored_gb: float = 100.0
    exports: float = 200.0
    images_per_generation: int = 1
    image_mb: float = 1.5  # an original as a provider returns it (1024² PNG)
    thumbnail_kb: float = 40.0  # a 512 px WebP thumbnail
    thumbnails_per_read: int = 20  # a list page's thumbnails, each through its media link
    # The web app's backoff (jobs.js): a check after 1 s, then each interval 1.5x the last, up to
    # 4 s; a ~10 s generation takes 5 checks (at 1, 2.5, 4.75, 8.1 and 12.1 s).
    status_polls: float = 5.0
    items_per_export: int = 50
    _: KW_ONLY
    # The template's parameter defaults (``from_template``) unless a flag says otherwise.
    snapstart: bool
    log_retention_days: int
    api_tracing: str  # Active or PassThrough: whether the API functions' requests are traced
    init_seconds: float = 1.0
    free_tier: bool = False

    @staticmethod
    def from_template(deployment: Deployment) -> Workload:
        """The default workload, on the template's defaults."""
        return Workload(
            snapstart=deployment.default_snapstart,
            log_retention_days=deployment.default_log_retention_days,
            api_tracing=deployment.default_api_tracing,
        )

    def operations(self) -> dict[str, float]:
        """How many of each operation group the month holds."""
        return {
            "generation": self.generations,
            "gallery read": self.gallery_reads,
            "share view": self.share_views,
            "export": self.exports,
        }


def add_flags(parser: argparse.ArgumentParser, deployment: Deployment) -> None:
    """A flag per Workload field (``--status-polls``, ...), defaulting to the template's workload."""
    defaults = Workload.from_template(deployment)
    for field in fields(Workload):
        value = getattr(defaults, field.name)
        option = f"--{field.name.replace('_', '-')}"
        if field.name == "snapstart":
            default = "on" if value else "off"
            parser.add_argument(option, choices=("on", "off"), default=default, help=f"default {default}")
        elif field.name == "api_tracing":
            choices = tuple(deployment.traced_functions)
            parser.add_argument(option, choices=choices, default=value, help=f"default {value}")
        elif isinstance(value, bool):
            parser.add_argument(option, action="store_true")
        else:
            parser.add_argument(option, type=type(value), default=value, help=f"default {value:g}")


def workload_of(flags: Mapping[str, Any]) -> Workload:
    """The Workload the flags of ``add_flags`` describe."""
    values = {field.name: flags[field.name] for field in fields(Workload)}
    return Workload(**values | {"snapstart": values["snapstart"] == "on"})
