"""Every function is traced and watched: X-Ray on, a Tracer-wrapped handler, an error-rate alarm,
and every alarm notifies the alarm topic."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
# Powertools' order: the logger's context around the trace, the trace around the metrics flush.
HANDLER_DECORATORS = ["logger.inject_lambda_context", "tracer.capture_lambda_handler", "metrics.log_metrics"]


class _Loader(yaml.SafeLoader):
    pass


# "!Ref X" reads "X", "!GetAtt X.Y" reads "X.Y"; other intrinsics are not needed here.
_Loader.add_multi_constructor(
    "!", lambda loader, suffix, node: node.value if isinstance(node, yaml.ScalarNode) else None
)

TEMPLATE_BODY = yaml.load(TEMPLATE.read_text(), Loader=_Loader)
RESOURCES = TEMPLATE_BODY["Resources"]
FUNCTIONS = sorted(name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function")
ALARMS = {name: r["Properties"] for name, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def _lambda_metrics(alarm: dict) -> dict[str, tuple[str, str]]:
    """Metric id → (Lambda metric name, function) for the alarm's AWS/Lambda metrics."""
    found = {}
    for query in alarm.get("Metrics", []):
        metric = query.get("MetricStat", {}).get("Metric", {})
        if metric.get("Namespace") == "AWS/Lambda":
            (dimension,) = metric["Dimensions"]
            assert dimension["Name"] == "FunctionName"
            found[query["Id"]] = (metric["MetricName"], dimension["Value"])
    return found


def _error_rate_alarms(function: str) -> list[dict]:
    """Alarms on Errors / Invocations of ``function`` as a percentage."""
    matching = []
    for alarm in ALARMS.values():
        metrics = _lambda_metrics(alarm)
        ids = {name: metric_id for metric_id, (name, target) in metrics.items() if target == function}
        if {"Errors", "Invocations"} <= ids.keys():
            expressions = [q["Expression"] for q in alarm["Metrics"] if "Expression" in q]
            if expressions == [f"100 * {ids['Errors']} / {ids['Invocations']}"]:
                matching.append(alarm)
    return matching


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_has_an_error_rate_alarm(function: str) -> None:
    (alarm,) = _error_rate_alarms(function)

    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert 0 < alarm["Threshold"] <= 10  # percent of invocations
    assert alarm["EvaluationPeriods"] == 1
    assert {q["MetricStat"]["Period"] for q in alarm["Metrics"] if "MetricStat" in q} == {300}
    assert {q["MetricStat"]["Stat"] for q in alarm["Metrics"] if "MetricStat" in q} == {"Sum"}
    assert alarm["TreatMissingData"] == "notBreaching"  # no invocations is not an outage


def test_the_dead_letter_queues_are_watched() -> None:
    watched_queues = {
        alarm["Dimensions"][0]["Value"].split(".")[0]
        for alarm in ALARMS.values()
        if alarm.get("Namespace") == "AWS/SQS"
    }
    watched_functions = {
        alarm["Dimensions"][0]["Value"]
        for alarm in ALARMS.values()
        if alarm.get("Namespace") == "AWS/Lambda" and alarm.get("MetricName") == "Invocations"
    }

    assert watched_queues == {"IngestDeadLetterQueue", "ExportDeadLetterQueue"}
    # The generation dead-letter queue is drained by its handler: its invocations are the signal.
    assert watched_functions == {"GenerationDeadLetterFunction"}


def test_every_alarm_notifies_the_alarm_topic() -> None:
    assert RESOURCES["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    for name, alarm in ALARMS.items():
        assert alarm["AlarmActions"] == ["AlarmTopic"], name


def _handler(function: str) -> tuple[ast.Module, ast.FunctionDef]:
    properties = RESOURCES[function]["Properties"]
    module_name, handler_name = properties["Handler"].rsplit(".", 1)
    module = ast.parse((ROOT / properties["CodeUri"] / f"{module_name}.py").read_text())
    (handler,) = (n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == handler_name)
    return module, handler


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_handler_is_traced_logged_and_measured(function: str) -> None:
    module, handler = _handler(function)
    singletons = {
        target.id: node.value.func.id
        for node in module.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.func, ast.Name)
    }
    decorators = [ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in handler.decorator_list]

    assert singletons.get("tracer") == "Tracer"
    assert singletons.get("logger") == "Logger" and singletons.get("metrics") == "Metrics"
    assert decorators == HANDLER_DECORATORS
