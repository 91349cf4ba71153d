"""What the local stack prints once it is ready."""

from __future__ import annotations

import shlex
from pathlib import Path

from galleria_local.emulators import KEY_VARIABLES, catalog_models
from galleria_local.stack import LocalStack

EXAMPLE_REQUEST = '{"prompt": "A serene mountain landscape at sunset", "model": "local/procedural"}'


def render_banner(stack: LocalStack) -> str:
    pollers = len(stack.pollers)
    summary = (
        f"{len(stack.functions)} functions, {stack.route_count} routes, "
        f"{pollers} SQS poller{'s' if pollers != 1 else ''}"
    )
    curl = (
        f"  curl -s -X POST {stack.base_url}/api/v1/generate-image \\\n"
        f"    -H {shlex.quote('Authorization: Bearer ' + stack.api_key)} "
        "-H 'Content-Type: application/json' \\\n"
        f"    -d {shlex.quote(EXAMPLE_REQUEST)}"
    )
    lines = [
        f"Galleria local stack is up ({stack.template_path}: {summary})",
        "",
        f"  API        {stack.base_url}",
        f"  Gallery    {stack.base_url}/app   (sign in with the API key below)",
        f"  API key    {stack.api_key}   (team {stack.team_id})",
        f"  Local AWS  {stack.aws.endpoint_url}   (moto; root credentials testing/testing, us-east-1)",
        _iam_line(stack.aws.enforce_iam),
        f"  Logs       {Path(stack.log_dir) / '<FunctionLogicalId>.log'}",
    ]
    if stack.state_file is not None:
        lines.append(f"  State      {stack.state_file}")
    lines += _emulator_lines(stack.emulators)
    lines += ["", "Try it:", curl, "", "Ctrl-C stops the stack."]
    return "\n".join(lines)


def _iam_line(enforced: bool) -> str:
    if enforced:
        return "  IAM        enforced: each function may do only what its role allows (--no-iam to debug)"
    return "  IAM        NOT enforced (--no-iam): every function may call anything"


def _emulator_lines(emulators: dict[str, str]) -> list[str]:
    """Which cloud models answer with procedural images, and how to get the real ones."""
    if not emulators:
        return []
    width = max(map(len, emulators))
    lines = []
    for index, (provider, url) in enumerate(emulators.items()):
        label = "  Emulated   " if index == 0 else " " * 13
        models = (
            ", ".join(model.partition("/")[2] for model in catalog_models(provider)) or "no catalogue model"
        )
        lines.append(f"{label}{provider:<{width}}  {url}  ({models})")
    keys = ", ".join(KEY_VARIABLES[provider] for provider in emulators)
    lines.append(f"{' ' * 13}no key set, so procedural images; set {keys} to use the real service")
    return lines
