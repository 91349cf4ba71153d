"""The template's AWS::Serverless::Function resources, merged with Globals.Function and resolved."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from galleria_local.intrinsics import Resolver
from galleria_local.provision import local_name
from galleria_local.template import Template

logger = logging.getLogger(__name__)

# SAM's defaults when neither the function nor Globals say otherwise.
DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128
DEFAULT_SQS_BATCH_SIZE = 10
# Lambda leaves an SQS mapping's concurrency unbounded; locally a few batches in flight are plenty.
DEFAULT_SQS_CONCURRENCY = 4
# API Gateway's integration timeout, and the HttpApi event's TimeoutInMillis ceiling.
API_GATEWAY_TIMEOUT_SECONDS = 30.0
DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class HttpRoute:
    """An HttpApi event: `method` is upper case (ANY for any), `path` a route path or `$default`."""

    function_id: str
    method: str
    path: str
    timeout_seconds: float = API_GATEWAY_TIMEOUT_SECONDS

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsSource:
    """An SQS event: what the event source mapping polls and how it batches."""

    function_id: str
    queue_arn: str
    batch_size: int = DEFAULT_SQS_BATCH_SIZE
    report_batch_item_failures: bool = False
    maximum_batching_window_seconds: int = 0
    maximum_concurrency: int = DEFAULT_SQS_CONCURRENCY


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    code_uri: Path
    handler: str
    runtime: str
    timeout_seconds: int
    memory_mb: int
    environment: Mapping[str, str]
    layers: tuple[Path, ...]
    routes: tuple[HttpRoute, ...]
    sqs_sources: tuple[SqsSource, ...]


def global_environment(template: Template, resolver: Resolver) -> dict[str, str]:
    """Globals.Function.Environment.Variables, resolved (what every function sees)."""
    variables = (template.globals_for("Function").get("Environment") or {}).get("Variables") or {}
    return _environment(resolver.resolve(variables, "Globals.Function.Environment.Variables"))


def read_functions(template: Template, resolver: Resolver) -> list[FunctionSpec]:
    specs = []
    for logical_id, definition in template.resources_of_type("AWS::Serverless::Function").items():
        where = f"Resources.{logical_id}"
        if resolver.includes(definition, where):
            specs.append(_read_function(template, resolver, logical_id, definition.get("Properties") or {}))
    return specs


def _read_function(
    template: Template, resolver: Resolver, logical_id: str, properties: Mapping[str, Any]
) -> FunctionSpec:
    where = f"Resources.{logical_id}.Properties"
    merged = _merge_globals(template.globals_for("Function"), properties)

    def resolved(key: str, default: Any = None) -> Any:
        return resolver.resolve(merged.get(key, default), f"{where}.{key}")

    code_uri = resolved("CodeUri")
    if not isinstance(code_uri, str):
        raise ValueError(f"{where}.CodeUri: the local stack runs code from a folder, not {code_uri!r}")
    routes: list[HttpRoute] = []
    sqs_sources: list[SqsSource] = []
    for event_name, event in (properties.get("Events") or {}).items():
        event_where = f"{where}.Events.{event_name}"
        if event.get("Type") == "HttpApi":
            routes.append(
                _http_route(logical_id, resolver.resolve(event.get("Properties") or {}, event_where))
            )
        elif event.get("Type") == "SQS":
            sqs_properties = resolver.resolve(event["Properties"], event_where)
            if sqs_properties.get("Enabled", True):
                sqs_sources.append(_sqs_source(logical_id, sqs_properties))
        else:
            logger.debug("%s: %s events are not emulated locally", event_where, event.get("Type"))

    return FunctionSpec(
        logical_id=logical_id,
        name=local_name(logical_id),
        code_uri=template.resolve_path(code_uri),
        handler=resolved("Handler"),
        runtime=resolved("Runtime"),
        timeout_seconds=int(resolved("Timeout", DEFAULT_TIMEOUT_SECONDS)),
        memory_mb=int(resolved("MemorySize", DEFAULT_MEMORY_MB)),
        environment=_environment((resolved("Environment", {}) or {}).get("Variables") or {}),
        layers=tuple(_layer_paths(template, logical_id, resolved("Layers", []))),
        routes=tuple(routes),
        sqs_sources=tuple(sqs_sources),
    )


def _merge_globals(globals_: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: the function's scalars win, maps merge, lists add up (globals first)."""
    merged = {**globals_, **properties}
    global_variables = (globals_.get("Environment") or {}).get("Variables") or {}
    own_variables = (properties.get("Environment") or {}).get("Variables") or {}
    merged["Environment"] = {"Variables": {**global_variables, **own_variables}}
    merged["Layers"] = [*(globals_.get("Layers") or []), *(properties.get("Layers") or [])]
    return merged


def _layer_paths(template: Template, logical_id: str, layers: list[Any]) -> list[Path]:
    paths = []
    for layer in layers:
        if isinstance(layer, str) and layer.startswith("arn:"):
            logger.debug(
                "%s: layer %s is not available locally; install its packages instead", logical_id, layer
            )
        else:
            paths.append(template.resolve_path(layer))
    return paths


def _http_route(function_id: str, properties: Mapping[str, Any]) -> HttpRoute:
    if str(properties.get("PayloadFormatVersion", "2.0")) != "2.0":
        raise ValueError(f"{function_id}: the local gateway sends payload format 2.0 events only")
    timeout = min(API_GATEWAY_TIMEOUT_SECONDS, int(properties.get("TimeoutInMillis", 30_000)) / 1000)
    return HttpRoute(
        function_id=function_id,
        method=str(properties.get("Method", "ANY")).upper(),
        path=properties.get("Path", DEFAULT_ROUTE),
        timeout_seconds=timeout,
    )


def _sqs_source(function_id: str, properties: Mapping[str, Any]) -> SqsSource:
    scaling = properties.get("ScalingConfig") or {}
    return SqsSource(
        function_id=function_id,
        queue_arn=properties["Queue"],
        batch_size=int(properties.get("BatchSize", DEFAULT_SQS_BATCH_SIZE)),
        report_batch_item_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
        maximum_batching_window_seconds=int(properties.get("MaximumBatchingWindowInSeconds", 0)),
        maximum_concurrency=int(scaling.get("MaximumConcurrency", DEFAULT_SQS_CONCURRENCY)),
    )


def _environment(variables: Mapping[str, Any]) -> dict[str, str]:
    """Lambda environment values are strings; YAML may have given numbers or booleans."""
    return {
        name: ("true" if value else "false") if isinstance(value, bool) else str(value)
        for name, value in variables.items()
    }
