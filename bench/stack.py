"""template.yaml's functions as the local stack reads them: resources provisioned in moto in-process,
then every function with its handler, code folder and environment (Globals merged) resolved.

Call inside ``moto.mock_aws``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from galleria_local.functions import FunctionSpec

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Stack:
    functions: list[FunctionSpec]
    global_environment: dict[str, str]  # what every function sees (Globals.Function)


def provision_stack(template_path: Path = ROOT / "template.yaml") -> Stack:
    from galleria_local.functions import global_environment, read_functions
    from galleria_local.in_process import provision_in_process

    template, resolver = provision_in_process(template_path)
    return Stack(read_functions(template, resolver), global_environment(template, resolver))
