"""What an operator reads: log lines joined by the request's correlation id from the API through
the queue into the worker, and the business metrics printed as EMF when an invocation ends."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger, Metrics
from botocore.exceptions import ClientError

from galleria import aws
from galleria.catalog import find_model
from galleria.config import get_settings
from galleria.exports.service import export_key
from galleria.providers.base import ContentPolicyViolation, ProviderError
from galleria_local.in_process import LambdaContext, sqs_event

GENERATE = "/api/v1/generate-image"
EXPORTS = "/api/v1/gallery/exports"
ASYNC = {"prompt": "A lighthouse at dawn", "model": "local/procedural", "async": True}
GEMINI = "google/gemini-2.5-flash-image"


def _documents(output: str) -> list[dict[str, Any]]:
    """The JSON objects printed one per line (log lines and EMF documents alike)."""
    documents = []
    for line in output.splitlines():
        try:
            document = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(document, dict):
            documents.append(document)
    return documents


def _job_lines(logs: io.StringIO, job_id: str) -> list[dict[str, Any]]:
    """The log lines about ``job_id`` written since the last call."""
    lines = [d for d in _documents(logs.getvalue()) if d.get("job_id") == job_id]
    logs.seek(0)
    logs.truncate()
    return lines


@dataclass(frozen=True)
class Published:
    name: str
    values: list[float]
    unit: str
    namespace: str
    dimensions: dict[str, str]


def _published(output: str) -> list[Published]:
    """Every metric in the EMF documents printed, with its namespace and dimensions."""
    found = []
    for document in _documents(output):
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            (dimension_names,) = directive["Dimensions"]
            dimensions = {name: document[name] for name in dimension_names}
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                values = value if isinstance(value, list) else [value]
                found.append(
                    Published(metric["Name"], values, metric["Unit"], directive["Namespace"], dimensions)
                )
    return found


def _values(published: list[Published], name: str) -> list[float]:
    return [value for metric in published if metric.name == name for value in metric.values]


class Emf:
    """Reads the metrics printed since the last read."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def read(self) -> list[Published]:
        return _published(self._capsys.readouterr().out)


@pytest.fixture
def function_logs(stack, monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the functions log during the test. (Their Logger writes to the stdout of the moment it
    was made, which capsys has replaced since.)"""
    logs = io.StringIO()
    monkeypatch.setattr(Logger().registered_handler, "stream", logs)
    return logs


@pytest.fixture
def emf(stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Emf:
    """Metrics published as in Lambda (the stack turns them off)."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    Metrics().clear_metrics()  # what earlier tests added while publishing was off
    capsys.readouterr()
    return Emf(capsys)


def _use_provider(monkeypatch: pytest.MonkeyPatch, provider: Any) -> None:
    from galleria.generation import worker as worker_module

    monkeypatch.setattr(worker_module, "provider_for", lambda model: provider)


class GeminiDown:
    def generate(self, request):
        raise ProviderError("Gemini answered 500 INTERNAL")


class Blocked:
    def generate(self, request):
        raise ContentPolicyViolation("The image was blocked by the safety filter (IMAGE_SAFETY)")


# --- correlation id ---------------------------------------------------------------------------


def test_the_generation_workers_log_lines_carry_the_requests_correlation_id(
    stack, team, function_logs
) -> None:
    accepted = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC, request_id="req-generate-1")
    job_id = accepted.json()["jobId"]
    # Another request comes first: the worker's id must come with the message, not from the last request.
    stack.request("GET", "/api/v1/account", key=team.key, request_id="req-other")
    _job_lines(function_logs, job_id)

    stack.run_workers()

    lines = _job_lines(function_logs, job_id)
    assert "job finished" in [line["message"] for line in lines]
    assert {line["correlation_id"] for line in lines} == {"req-generate-1"}


def test_the_export_workers_log_lines_carry_the_requests_correlation_id(stack, team, function_logs) -> None:
    item_ids = stack.make_items(team, 2)
    accepted = stack.request(
        "POST", EXPORTS, key=team.key, json_body={"itemIds": item_ids}, request_id="req-export-1"
    )
    job_id = accepted.json()["jobId"]
    stack.request("GET", "/api/v1/account", key=team.key, request_id="req-other")
    _job_lines(function_logs, job_id)

    stack.run_exports()

    lines = _job_lines(function_logs, job_id)
    assert "export finished" in [line["message"] for line in lines]
    assert {line["correlation_id"] for line in lines} == {"req-export-1"}


def test_a_message_queued_without_a_correlation_id_runs_and_logs_under_its_job_id(
    stack, team, function_logs
) -> None:
    job_id = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC).json()["jobId"]
    _job_lines(function_logs, job_id)

    old_message = {  # as messages were before they carried the correlation id
        "MessageId": "old-1",
        "ReceiptHandle": "handle",
        "Body": json.dumps({"jobId": job_id}),
        "MD5OfBody": "-",
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1795257000000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1795257000001",
        },
    }
    outcome = stack.handler("GenerationWorkerFunction")(sqs_event([old_message]), LambdaContext())

    assert outcome["batchItemFailures"] == []
    assert stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()["status"] == "succeeded"
    lines = _job_lines(function_logs, job_id)
    assert lines and {line["correlation_id"] for line in lines} == {job_id}


# --- metrics ----------------------------------------------------------------------------------


def price_per_image(model_id: str) -> int:
    model = find_model(model_id)
    assert model is not None, f"no model {model_id}"
    return model.price_per_image


def test_a_generation_counts_the_credits_charged_then_the_images_generated(stack, team, emf) -> None:
    price = price_per_image("local/procedural")

    stack.request("POST", GENERATE, key=team.key, json_body={**ASYNC, "numImages": 2})
    request = emf.read()
    stack.run_workers()
    worker = emf.read()

    assert _values(request, "CreditsCharged") == [2 * price]
    assert _values(worker, "ImagesGenerated") == [2]
    assert _values(request + worker, "CreditsRefunded") == []
    for metric in request + worker:
        assert metric.namespace == "Galleria"
        assert metric.dimensions == {"service": "galleria"}


def test_a_charge_refused_for_want_of_credits_counts_nothing(stack, make_team, emf) -> None:
    poor = make_team(credits=1)

    refused = stack.request("POST", GENERATE, key=poor.key, json_body=ASYNC)

    assert refused.status == 402
    assert _values(emf.read(), "CreditsCharged") == []


def test_a_provider_failure_is_counted_for_its_provider_and_refunded(
    stack, team, cloud_keys, monkeypatch, emf
) -> None:
    price = price_per_image(GEMINI)
    _use_provider(monkeypatch, GeminiDown())
    stack.request("POST", GENERATE, key=team.key, json_body={**ASYNC, "model": GEMINI, "numImages": 2})
    emf.read()

    stack.run_workers()

    published = emf.read()
    (failures,) = [metric for metric in published if metric.name == "ProviderFailures"]
    assert failures.values == [2]
    assert failures.dimensions == {"service": "galleria", "provider": "google"}
    assert _values(published, "CreditsRefunded") == [2 * price]
    assert _values(published, "ImagesGenerated") == [0]
    # The provider dimension stays on its own metric
    assert all(m.dimensions == {"service": "galleria"} for m in published if m.name != "ProviderFailures")


def test_a_safety_block_is_refunded_but_is_no_provider_failure(stack, team, monkeypatch, emf) -> None:
    _use_provider(monkeypatch, Blocked())
    stack.request("POST", GENERATE, key=team.key, json_body=ASYNC)
    emf.read()

    stack.run_workers()

    published = emf.read()
    assert _values(published, "ProviderFailures") == []
    assert _values(published, "CreditsRefunded") == [price_per_image("local/procedural")]


def test_a_job_sqs_refuses_is_failed_refunded_and_counted_so(stack, team, monkeypatch, emf) -> None:
    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "down"}}, "SendMessage")

    monkeypatch.setattr(aws.client("sqs"), "send_message", refuse)

    answer = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC)

    published = emf.read()
    price = price_per_image("local/procedural")
    assert answer.status == 500
    assert _values(published, "CreditsCharged") == [price]
    assert _values(published, "CreditsRefunded") == [price]


def test_an_export_counts_the_bytes_of_its_zip(stack, team, emf) -> None:
    item_ids = stack.make_items(team, 3)
    job_id = stack.request("POST", EXPORTS, key=team.key, json_body={"itemIds": item_ids}).json()["jobId"]
    emf.read()

    stack.run_exports()

    zip_size = boto3.client("s3", region_name="us-east-1").head_object(
        Bucket=get_settings().media_bucket, Key=export_key(team.team_id, job_id)
    )["ContentLength"]
    (exported,) = [metric for metric in emf.read() if metric.name == "ExportBytes"]
    assert exported.values == [zip_size] and exported.unit == "Bytes"
    assert exported.dimensions == {"service": "galleria"}
