"""The project template's functions as the local stack reads them: Globals merged, events resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from galleria_local.emulated import declare_emulated_resources
from galleria_local.functions import FunctionSpec, HttpRoute, SqsSource, read_functions
from galleria_local.intrinsics import PhysicalResource, Resolver
from galleria_local.template import load_template

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:galleria-GenerationQueue"


@pytest.fixture(scope="module")
def functions(project_root: Path) -> dict[str, FunctionSpec]:
    template = load_template(project_root / "template.yaml")
    resolver = Resolver(template, {"LogLevel": "DEBUG"})
    declare_emulated_resources(template, resolver, "http://127.0.0.1:8000")
    for logical_id, definition in template.resources.items():
        if definition["Type"] in {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SecretsManager::Secret"}:
            resolver.register(logical_id, PhysicalResource(ref=f"physical-{logical_id}"))
    resolver.register(
        "GenerationQueue",
        PhysicalResource(ref="http://queue-url", attributes={"Arn": QUEUE_ARN, "QueueName": "q"}),
    )
    for queue in (
        "GenerationDeadLetterQueue",
        "IngestQueue",
        "IngestDeadLetterQueue",
        "ExportQueue",
        "ExportDeadLetterQueue",
    ):
        resolver.register(
            queue,
            PhysicalResource(
                ref=f"http://{queue}", attributes={"Arn": f"{QUEUE_ARN}-{queue}", "QueueName": queue}
            ),
        )
    return {spec.logical_id: spec for spec in read_functions(template, resolver)}


def test_globals_fill_in_what_a_function_does_not_say(
    functions: dict[str, FunctionSpec], project_root: Path
) -> None:
    generate = functions["GenerateApiFunction"]

    assert generate.runtime == "python3.13"
    assert (generate.timeout_seconds, generate.memory_mb) == (29, 1024)
    assert generate.layers == ((project_root / "layers" / "shared").resolve(),)
    assert generate.code_uri == (project_root / "functions" / "generate").resolve()
    assert generate.handler == "generate.lambda_handler"
    assert generate.environment["POWERTOOLS_LOG_LEVEL"] == "DEBUG"
    assert generate.environment["GENERATION_QUEUE_URL"] == "http://queue-url"
    assert generate.environment["DEFAULT_MODEL"] == ""


def test_a_functions_own_settings_win(functions: dict[str, FunctionSpec]) -> None:
    worker = functions["GenerationWorkerFunction"]

    assert (worker.timeout_seconds, worker.memory_mb) == (300, 1024)
    assert functions["PublicApiFunction"].memory_mb == 1024  # Globals
    assert functions["TrashPurgeFunction"].memory_mb == 256


def test_http_and_sqs_events_are_read(functions: dict[str, FunctionSpec]) -> None:
    routes = {route.route_key for spec in functions.values() for route in spec.routes}

    assert "GET /api/v1/jobs/{jobId}" in routes
    assert "GET /media/{teamId}/{itemId}/{rendition}/{signature}" in routes
    assert functions["GenerateApiFunction"].routes[0] == HttpRoute(
        function_id="GenerateApiFunction", method="POST", path="/api/v1/generate-image"
    )
    assert functions["GenerationWorkerFunction"].sqs_sources == (
        SqsSource(
            function_id="GenerationWorkerFunction",
            queue_arn=QUEUE_ARN,
            batch_size=1,
            report_batch_item_failures=True,
            maximum_concurrency=20,  # the GenerationWorkerMaxConcurrency parameter's default
        ),
    )
