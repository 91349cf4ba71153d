"""What the local stack prints once it is ready."""

from __future__ import annotations

import shlex
from pathlib import Path

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
        f"  API key    {stack.api_key}   (team {stack.team_id})",
        f"  Local AWS  {stack.aws.endpoint_url}   (moto; credentials testing/testing, us-east-1)",
        f"  Logs       {Path(stack.log_dir) / '<FunctionLogicalId>.log'}",
    ]
    if stack.state_file is not None:
        lines.append(f"  State      {stack.state_file}")
    lines += ["", "Try it:", curl, "", "Ctrl-C stops the stack."]
    return "\n".join(lines)
