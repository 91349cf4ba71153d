"""Handlers invoked with API Gateway and SQS events against moto in-process.

The tables, bucket, queues and secret come from template.yaml through the local stack's own
provisioner, and every handler runs with the environment the template gives its function.
"""

from __future__ import annotations

import base64
import copy
import importlib
import importlib.util
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from galleria import aws
from galleria.accounts import admin
from galleria.accounts.repository import AccountsRepository, team_key
from galleria.config import get_settings
from galleria.domain.teams import Plan
from galleria.providers.transport import shared_http
from galleria_local.emulated import declare_emulated_resources
from galleria_local.functions import FunctionSpec, read_functions
from galleria_local.intrinsics import Resolver
from galleria_local.moto_serial import serialised_moto
from galleria_local.provision import local_name, provision
from galleria_local.routes import RouteTable
from galleria_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]


class InProcessAws:
    """What the provisioner needs of the local AWS, backed by moto's in-process mock."""

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name="us-east-1")


class LambdaContext:
    function_name = "test"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "test"

    def __init__(self, remaining_ms: int = 29_000) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: list[str] = field(default_factory=list)  # Set-Cookie values (HTTP API 2.0 "cookies")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Stack:
    functions: dict[str, FunctionSpec]
    outputs: dict[str, str] = field(default_factory=dict)

    def handler(self, logical_id: str) -> Any:
        module = importlib.import_module(self.functions[logical_id].handler.rsplit(".", 1)[0])
        return module.lambda_handler

    def route_for(self, method: str, path: str) -> tuple[str, str, dict[str, str]]:
        """(function, route key, path parameters), matched with API Gateway's precedence."""
        table = RouteTable(route for spec in self.functions.values() for route in spec.routes)
        match = table.match(method, path)
        assert match is not None, f"no route for {method} {path}"
        return match.route.function_id, match.route.route_key, match.path_parameters

    def request(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        json_body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        raw_body: str | None = None,
        cookies: list[str] | None = None,
    ) -> HttpResponse:
        function, route_key, params = self.route_for(method, path)
        all_headers = {"host": "testserver", "x-forwarded-proto": "https", **(headers or {})}
        if key:
            all_headers["authorization"] = f"Bearer {key}"
        event = http_event(method, path, route_key, params, all_headers, query, json_body)
        if raw_body is not None:
            event["body"] = raw_body
        if cookies:
            event["cookies"] = cookies
        result = self.handler(function)(event, LambdaContext())
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        return HttpResponse(
            result["statusCode"],
            {k.lower(): v for k, v in result.get("headers", {}).items()},
            raw,
            list(result.get("cookies") or []),
        )

    def make_items(self, team: TeamKey, n: int, prompt: str = "A lighthouse in the fog") -> list[str]:
        """``n`` gallery items of ``team``: async local/procedural jobs of up to four images, run."""
        jobs = []
        for start in range(0, n, 4):
            body = {
                "prompt": prompt,
                "model": "local/procedural",
                "numImages": min(4, n - start),
                "async": True,
            }
            accepted = self.request("POST", "/api/v1/generate-image", key=team.key, json_body=body)
            assert accepted.status == 202, accepted.body
            jobs.append(accepted.json()["jobId"])
        self.run_workers()
        ids = []
        for job_id in jobs:
            job = self.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()
            assert job["status"] == "succeeded", job
            ids += [image["galleryId"] for image in job["result"]["images"]]
        return ids

    def run_workers(self) -> int:
        """Feed every message waiting on the generation queue to the worker; returns how many ran."""
        return self._drain(get_settings().generation_queue_url, "GenerationWorkerFunction")

    def run_ingest(self) -> int:
        """Feed every bucket event waiting on the ingest queue to the ingest worker."""
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.get_queue_url(QueueName=local_name("IngestQueue"))["QueueUrl"]
        return self._drain(queue_url, "IngestWorkerFunction")

    def execution_environments(self, function_id: str, n: int) -> list[Stack]:
        """``n`` views of the stack whose handler for ``function_id`` is a fresh copy of its module,
        as ``n`` concurrent Lambda invocations each get their own execution environment. (One module
        shared by threads would share the resolver's current event, which Lambda never does.)"""
        source = importlib.import_module(self.functions[function_id].handler.rsplit(".", 1)[0]).__file__
        environments = []
        for number in range(n):
            spec = importlib.util.spec_from_file_location(f"_environment_{function_id}_{number}", source)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            environment = copy.copy(self)
            environment.handler = lambda _, handler=module.lambda_handler: handler  # type: ignore[method-assign]
            environments.append(environment)
        return environments

    def run_exports(self) -> int:
        """Feed every export job waiting on the export queue to the export worker."""
        return self._drain(get_settings().export_queue_url, "ExportWorkerFunction")

    def _drain(self, queue_url: str, function: str) -> int:
        sqs = boto3.client("sqs", region_name="us-east-1")
        handled = 0
        while True:
            messages = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=1, AttributeNames=["All"], WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return handled
            result = self.handler(function)(sqs_event(messages), LambdaContext())
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            handled += len(messages)

    def deliver(self, job_id: str, *, receive_count: int = 1) -> dict[str, Any]:
        """Hand the worker one message for ``job_id`` as its ``receive_count``-th delivery."""
        return self.handler("GenerationWorkerFunction")(
            sqs_event([_message(job_id, receive_count)]), LambdaContext()
        )

    def dead_letter(self, job_id: str) -> dict[str, Any]:
        """Hand the dead-letter handler the message of ``job_id`` (moved there by the redrive policy)."""
        return self.handler("GenerationDeadLetterFunction")(sqs_event([_message(job_id, 1)]), LambdaContext())


def _message(job_id: str, receive_count: int) -> dict[str, Any]:
    return {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": "handle",
        "Body": json.dumps({"jobId": job_id}),
        "MD5OfBody": "-",
        "Attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1795257000000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1795257000001",
        },
    }


def http_event(
    method: str,
    path: str,
    route_key: str,
    params: dict[str, str],
    headers: dict[str, str],
    query: dict[str, str] | None,
    json_body: Any,
) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": headers,
        "queryStringParameters": query,
        "pathParameters": params or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "testserver",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "t",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
        },
        "body": json.dumps(json_body) if json_body is not None else None,
        "isBase64Encoded": False,
    }


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {"ApproximateReceiveCount": "1"}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:galleria-GenerationQueue",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "SYNC_WAIT_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for provider_key in ("GEMINI_API_KEY", "OPENAI_API_KEY", "BFL_API_KEY", "MEDIA_SIGNING_KEY"):
        monkeypatch.delenv(provider_key, raising=False)
    with mock_aws(), serialised_moto():  # as the local stack runs moto
        template = load_template(ROOT / "template.yaml")
        resolver = Resolver(template)
        provision(template, resolver, InProcessAws())
        declare_emulated_resources(template, resolver, "https://testserver")
        functions = {spec.logical_id: spec for spec in read_functions(template, resolver)}
        for spec in functions.values():
            for name, value in spec.environment.items():
                monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        aws.reset_clients()
        yield Stack(functions=functions)
    get_settings.cache_clear()
    aws.reset_clients()


@pytest.fixture
def cloud_keys(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keys of the three cloud providers (their real base URLs, mocked with respx by the tests),
    BFL polled without waiting, and two retries of a passing failure."""
    for name, value in {
        "GEMINI_API_KEY": "g-test-key",
        "OPENAI_API_KEY": "sk-test",
        "BFL_API_KEY": "bfl-test",
        "BFL_POLL_INTERVAL_SECONDS": "0",
        "PROVIDER_MAX_RETRIES": "2",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    shared_http.cache_clear()
    yield
    shared_http.cache_clear()


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@dataclass(frozen=True)
class TeamKey:
    team_id: str
    key: str


def _make_team(plan: Plan = Plan.PRO, credits: int = 1000) -> TeamKey:
    repo = AccountsRepository()
    team = admin.create_team(repo, name="test", plan=plan, credits=credits)
    return TeamKey(team_id=team.id, key=admin.issue_key(repo, team.id).api_key)


@pytest.fixture
def team(stack: Stack) -> TeamKey:
    return _make_team()


@pytest.fixture
def other_team(stack: Stack) -> TeamKey:
    return _make_team()


def fill_storage(team_id: str, used: int) -> None:
    """Set the team's stored bytes as if other images took that much room."""
    repo = AccountsRepository()
    repo.client.update_item(
        TableName=repo.table,
        Key=team_key(team_id),
        UpdateExpression="SET storage_used = :used",
        ExpressionAttributeValues={":used": {"N": str(used)}},
    )


@pytest.fixture
def make_team(stack: Stack) -> Any:
    return _make_team
