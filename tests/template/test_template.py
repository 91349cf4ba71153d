"""The template is valid, and it routes exactly the routes the handlers serve."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


# Intrinsics keep their scalar argument ("!GetAtt IngestQueue.Arn" reads "IngestQueue.Arn"), else None.
_CfnLoader.add_multi_constructor(
    "!", lambda loader, suffix, node: node.value if isinstance(node, yaml.ScalarNode) else None
)


def _template() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)


def _functions() -> dict[str, dict]:
    return {
        name: resource["Properties"]
        for name, resource in _template()["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def _template_routes(properties: dict) -> set[tuple[str, str]]:
    return {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for event in properties.get("Events", {}).values()
        if event["Type"] == "HttpApi"
    }


def _handler_routes(properties: dict) -> set[tuple[str, str]]:
    module = _private_copy(properties)
    schema = module.app.get_openapi_schema()
    return {
        (method.upper(), path)
        for path, item in schema.paths.items()
        for method in item.model_dump(exclude_none=True)
    }


def _private_copy(properties: dict) -> ModuleType:
    """The handler module loaded under a name of its own: imported by its real name here, without the
    function's environment, it would stay in sys.modules for every later test (Metrics without a
    namespace, for one)."""
    name = properties["Handler"].rsplit(".", 1)[0]
    source = ROOT / properties["CodeUri"] / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_template_test_{name}", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cfn_lint_passes() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


API_FUNCTIONS = [name for name, props in _functions().items() if _template_routes(props)]


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_every_template_route_has_a_handler_route_and_back(function: str) -> None:
    properties = _functions()[function]
    assert _template_routes(properties) == _handler_routes(properties)


def test_every_function_handler_lives_in_its_code_folder() -> None:
    for name, properties in _functions().items():
        module = properties["Handler"].rsplit(".", 1)[0]
        assert (ROOT / properties["CodeUri"] / f"{module}.py").is_file(), name


def test_worker_gives_up_on_the_queues_last_delivery() -> None:
    resources = _template()["Resources"]
    worker_env = resources["GenerationWorkerFunction"]["Properties"]["Environment"]["Variables"]
    redrive = resources["GenerationQueue"]["Properties"]["RedrivePolicy"]
    assert worker_env["GENERATION_MAX_RECEIVE_COUNT"] == redrive["maxReceiveCount"]


def _queue_consumers() -> list[tuple[str, str]]:
    """(function, queue) for every SQS event source in the template."""
    return [
        (function, event["Properties"]["Queue"].split(".")[0])
        for function, properties in _functions().items()
        for event in properties.get("Events", {}).values()
        if event["Type"] == "SQS"
    ]


def test_every_worker_queue_allows_six_times_its_functions_timeout() -> None:
    resources = _template()["Resources"]
    consumers = _queue_consumers()

    assert {queue for _, queue in consumers} >= {"GenerationQueue", "IngestQueue"}
    for function, queue in consumers:
        timeout = resources[function]["Properties"].get(
            "Timeout", _template()["Globals"]["Function"]["Timeout"]
        )
        visibility = resources[queue]["Properties"].get("VisibilityTimeout", 30)
        assert visibility >= 6 * timeout, (function, queue)


def test_every_work_queue_has_a_dead_letter_queue_and_partial_batch_failures() -> None:
    resources = _template()["Resources"]
    for function, queue in _queue_consumers():
        events = resources[function]["Properties"]["Events"].values()
        assert all(
            e["Properties"].get("FunctionResponseTypes") == ["ReportBatchItemFailures"] for e in events
        )
        if not queue.endswith("DeadLetterQueue"):
            assert resources[queue]["Properties"]["RedrivePolicy"]["maxReceiveCount"] >= 3, queue


def test_the_bucket_may_send_its_events_to_the_ingest_queue() -> None:
    resources = _template()["Resources"]
    bucket = resources["MediaBucket"]
    statement = resources["IngestQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    routes = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]

    assert bucket["DependsOn"] == "IngestQueuePolicy"  # S3 checks the permission when saving them
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert (statement["Action"], statement["Resource"]) == ("sqs:SendMessage", "IngestQueue.Arn")
    assert {(route["Event"], route["Queue"]) for route in routes} == {
        ("s3:ObjectCreated:*", "IngestQueue.Arn"),
        ("s3:LifecycleExpiration:*", "IngestQueue.Arn"),
    }
