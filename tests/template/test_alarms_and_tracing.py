"""Every function is traced and watched: X-Ray on, a Tracer-wrapped handler, an error-rate alarm,
and every alarm notifies the alarm topic."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml

from galleria_local.template import load_template

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


def _error_rate_alarm(function: str) -> dict[str, Any]:
    """The error-rate alarm of ``function``: Errors / Invocations over 5 minutes above 5%, as
    template.yaml writes it (intrinsics in their long form)."""

    def lambda_metric(metric_id: str, name: str) -> dict[str, Any]:
        dimensions = [{"Name": "FunctionName", "Value": {"Ref": function}}]
        metric = {"Namespace": "AWS/Lambda", "MetricName": name, "Dimensions": dimensions}
        return {
            "Id": metric_id,
            "ReturnData": False,
            "MetricStat": {"Stat": "Sum", "Period": 300, "Metric": metric},
        }

    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "Tags": [{"Key": "stage", "Value": {"Ref": "Stage"}}, {"Key": "service", "Value": "galleria"}],
            "AlarmDescription": f"{function} failed more than 5% of its invocations in 5 minutes.",
            "AlarmActions": [{"Ref": "AlarmTopic"}],
            "Metrics": [
                lambda_metric("errors", "Errors"),
                lambda_metric("invocations", "Invocations"),
                {"Id": "rate", "Expression": "100 * errors / invocations", "Label": "Error rate (%)"},
            ],
            "Threshold": 5,
            "ComparisonOperator": "GreaterThanThreshold",
            "EvaluationPeriods": 1,
            "TreatMissingData": "notBreaching",  # no invocations is not an outage
        },
    }


def test_every_function_has_its_error_rate_alarm_and_every_copy_is_the_same() -> None:
    """template.yaml writes the alarm out once per function (no Fn::ForEach: see its comment), so this
    is its one definition: a function without <Name>ErrorRateAlarm, an alarm left behind by a removed
    function, or a copy that differs (another metric, dimension, period or threshold) fails here."""
    template = load_template(TEMPLATE)
    functions = sorted(template.resources_of_type("AWS::Serverless::Function"))
    alarms = {
        name: alarm
        for name, alarm in template.resources_of_type("AWS::CloudWatch::Alarm").items()
        if name.endswith("ErrorRateAlarm")
    }
    expected = {f"{function.removesuffix('Function')}ErrorRateAlarm": function for function in functions}

    assert sorted(alarms) == sorted(expected)
    for name, function in expected.items():
        assert alarms[name] == _error_rate_alarm(function), name


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
