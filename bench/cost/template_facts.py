"""What template.yaml says that the bill depends on: memory, SnapStart, tracing, logs, alarms, keys."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from galleria_local.template import Template

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@dataclass(frozen=True)
class Deployment:
    """What template.yaml says that prices depend on."""

    memory_mb: Mapping[str, int]
    default_memory_mb: int  # Globals.Function.MemorySize: the API functions'
    snapstart_functions: tuple[str, ...]
    traced_functions: Mapping[str, tuple[str, ...]]  # by ApiTracing value: the functions X-Ray traces
    sqs_event_sources: int
    alarms: int
    secrets: int
    kms_tables: int  # SSEEnabled: AWS managed key aws/dynamodb
    access_log_bytes: int
    platform_log_bytes: int
    default_log_retention_days: int
    default_snapstart: bool
    default_api_tracing: str
    log_level: str  # the LogLevel parameter's default: what Powertools logs at


def read_deployment(path: Path = TEMPLATE) -> Deployment:
    from galleria_local.intrinsics import Resolver
    from galleria_local.template import load_template

    template = load_template(path)
    defaults = {name: spec.get("Default") for name, spec in template.parameters.items()}
    resolver = Resolver(template)
    globals_ = template.globals_for("Function")
    functions = {
        name: spec.get("Properties") or {}
        for name, spec in template.resources_of_type("AWS::Serverless::Function").items()
    }
    default_memory = int(resolver.resolve(globals_.get("MemorySize", 128)))
    memory = {
        name: int(resolver.resolve(properties.get("MemorySize", default_memory)))
        for name, properties in functions.items()
    }
    events = [
        event for properties in functions.values() for event in (properties.get("Events") or {}).values()
    ]
    tables = template.resources_of_type("AWS::DynamoDB::Table").values()
    kms_tables = sum(
        bool(sse.get("SSEEnabled")) and sse.get("SSEType", "KMS") == "KMS" and "KMSMasterKeyId" not in sse
        for sse in ((t.get("Properties") or {}).get("SSESpecification") or {} for t in tables)
    )
    access_format = ""
    for api in template.resources_of_type("AWS::Serverless::HttpApi").values():
        access_format += ((api.get("Properties") or {}).get("AccessLogSettings") or {}).get("Format", "")
    return Deployment(
        memory_mb=memory,
        default_memory_mb=default_memory,
        snapstart_functions=tuple(
            name for name, properties in functions.items() if "SnapStart" in properties
        ),
        traced_functions=_traced_by_api_tracing(template, functions, globals_.get("Tracing")),
        sqs_event_sources=sum(event.get("Type") == "SQS" for event in events),
        alarms=len(template.resources_of_type("AWS::CloudWatch::Alarm")),
        secrets=len(template.resources_of_type("AWS::SecretsManager::Secret")),
        kms_tables=kms_tables,
        access_log_bytes=len(re.sub(r"\$context\.[A-Za-z.]+", "x" * 12, access_format))
        if access_format
        else 0,
        platform_log_bytes=platform_log_bytes(default_memory),
        default_log_retention_days=int(defaults.get("LogRetentionInDays") or 30),
        default_snapstart=defaults.get("SnapStart") == "Enabled",
        default_api_tracing=str(defaults["ApiTracing"]),
        log_level=str(defaults.get("LogLevel") or "INFO"),
    )


def _traced_by_api_tracing(
    template: Template, functions: Mapping[str, Mapping[str, Any]], default: object
) -> dict[str, tuple[str, ...]]:
    """For each value the ApiTracing parameter allows, the functions whose Tracing is then Active."""
    from galleria_local.intrinsics import Resolver

    traced = {}
    for value in map(str, template.parameters["ApiTracing"]["AllowedValues"]):
        resolver = Resolver(template, {"ApiTracing": value})
        traced[value] = tuple(
            name
            for name, properties in functions.items()
            if resolver.resolve(properties.get("Tracing", default)) == "Active"
        )
    return traced


def platform_log_bytes(memory_mb: int) -> int:
    """Bytes of the JSON platform records Lambda logs per invocation (LogFormat JSON, which the template
    sets), from example records."""
    request = "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa"
    trace = "Root=1-6751a3c2-0a6f3e2d5b1c4e7f8a9b0c1d;Parent=5b1c4e7f8a9b0c1d;Sampled=1;Lineage=1:8d1c2b3a:0"
    tracing = {"spanId": "5b1c4e7f8a9b0c1d", "type": "X-Amzn-Trace-Id", "value": trace}
    start = {
        "time": "2026-12-05T08:51:30.810Z",
        "type": "platform.start",
        "record": {"requestId": request, "version": "12", "tracing": tracing},
    }
    report = {
        "time": "2026-12-05T08:51:30.852Z",
        "type": "platform.report",
        "record": {
            "requestId": request,
            "metrics": {
                "durationMs": 41.26,
                "billedDurationMs": 42,
                "memorySizeMB": memory_mb,
                "maxMemoryUsedMB": 118,
            },
            "tracing": tracing,
            "status": "success",
        },
    }
    return sum(len(_json_line(record)) for record in (start, report))


def _json_line(record: Mapping[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":")) + "\n"
