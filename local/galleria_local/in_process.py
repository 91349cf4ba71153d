"""The stack in one process: template.yaml provisioned in moto's in-process mock, each function's
handler called directly with API Gateway and SQS events, the way Lambda calls it.

The integration tests and the benchmarks run on this. (The local stack, galleria_local.stack, runs
the same template behind real HTTP, with worker processes and pollers.)
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import boto3
from moto import mock_aws

from galleria import aws
from galleria.accounts import admin
from galleria.accounts.repository import AccountsRepository
from galleria.config import get_settings
from galleria.domain.teams import Plan
from galleria_local.emulated import declare_emulated_resources
from galleria_local.functions import FunctionSpec, read_functions
from galleria_local.intrinsics import ACCOUNT_ID, REGION, Resolver
from galleria_local.local_aws import AwsClients
from galleria_local.moto_serial import serialised_moto
from galleria_local.provision import local_name, provision
from galleria_local.routes import RouteTable
from galleria_local.s3_events import aws_shaped_s3_events
from galleria_local.template import Template, load_template

if TYPE_CHECKING:  # the stubs are a development dependency, only for the type checker
    from botocore.client import BaseClient

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
API_HOST = "testserver"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


class InProcessAws(AwsClients):
    """What the provisioner needs of the local AWS, backed by moto's in-process mock."""

    def _client(self, service: str) -> BaseClient:
        # The stubs type only a literal service name: AwsClients.client() narrows the result.
        made: BaseClient = boto3.client(service, region_name=REGION)  # type: ignore[call-overload]
        return made


class LambdaContext:
    function_name = "test"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:test"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "test"

    def __init__(self, remaining_ms: int = 29_000) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


# A function's handler as the stack calls it: the event and a context in, a JSON object out.
Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: list[str] = field(default_factory=list)  # Set-Cookie values (HTTP API 2.0 "cookies")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class TeamKey:
    team_id: str
    key: str


def create_team(plan: Plan = Plan.PRO, credits: int = 1000) -> TeamKey:
    """A new team with one API key."""
    repo = AccountsRepository()
    team = admin.create_team(repo, name="test", plan=plan, credits=credits)
    return TeamKey(team_id=team.id, key=admin.issue_key(repo, team.id).api_key)


@dataclass
class InProcessStack:
    """The template's functions, called in this process: API routes with API Gateway's events, and
    workers with the messages waiting on their queues."""

    functions: dict[str, FunctionSpec]
    outputs: dict[str, str] = field(default_factory=dict)

    def handler(self, logical_id: str) -> Handler:
        handler: Handler = self._module(logical_id).lambda_handler
        return handler

    def _module(self, logical_id: str) -> ModuleType:
        """The function's handler module, imported by name from its code root, as Lambda does."""
        spec = self.functions[logical_id]
        module_name = spec.handler.rsplit(".", 1)[0]
        if module_name not in sys.modules and str(spec.code_uri) not in sys.path:
            sys.path.append(str(spec.code_uri))
        return importlib.import_module(module_name)

    def route_for(self, method: str, path: str) -> tuple[str, str, dict[str, str]]:
        """(function, route key, path parameters), matched with API Gateway's precedence."""
        table = RouteTable(route for spec in self.functions.values() for route in spec.routes)
        match = table.match(method, path)
        if match is None:
            raise LookupError(f"no route for {method} {path}")
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
        request_id: str | None = None,
    ) -> HttpResponse:
        """Call the handler of the route ``method path`` matches with API Gateway's event for it."""
        function, route_key, params = self.route_for(method, path)
        all_headers = {"host": API_HOST, "x-forwarded-proto": "https", **(headers or {})}
        if key:
            all_headers["authorization"] = f"Bearer {key}"
        event = http_event(method, path, route_key, params, all_headers, query, json_body)
        if raw_body is not None:
            event["body"] = raw_body
        if cookies:
            event["cookies"] = cookies
        if request_id:  # API Gateway's id of the request, the logs' correlation id
            event["requestContext"]["requestId"] = request_id
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
            if accepted.status != 202:
                raise RuntimeError(f"generation refused: {accepted.status} {accepted.body!r}")
            jobs.append(accepted.json()["jobId"])
        self.run_workers()
        ids = []
        for job_id in jobs:
            job = self.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()
            if job["status"] != "succeeded":
                raise RuntimeError(f"generation failed: {job}")
            ids += [image["galleryId"] for image in job["result"]["images"]]
        return ids

    def run_workers(self) -> int:
        """Feed every message waiting on the generation queue to the worker; returns how many ran."""
        return self._drain(get_settings().generation_queue_url, "GenerationWorkerFunction")

    def run_ingest(self) -> int:
        """Feed every bucket event waiting on the ingest queue to the ingest worker."""
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.get_queue_url(QueueName=local_name("IngestQueue"))["QueueUrl"]
        return self._drain(queue_url, "IngestWorkerFunction")

    def run_exports(self) -> int:
        """Feed every export job waiting on the export queue to the export worker."""
        return self._drain(get_settings().export_queue_url, "ExportWorkerFunction")

    def execution_environments(self, function_id: str, n: int) -> list[InProcessStack]:
        """``n`` views of the stack whose handler for ``function_id`` is a fresh copy of its module,
        as ``n`` concurrent Lambda invocations each get their own execution environment. (One module
        shared by threads would share the resolver's current event, which Lambda never does.)"""
        source = self._module(function_id).__file__
        environments: list[InProcessStack] = []
        for number in range(n):
            spec = importlib.util.spec_from_file_location(f"_environment_{function_id}_{number}", source)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {source}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            environments.append(
                _ExecutionEnvironment(self.functions, self.outputs, own_handler=module.lambda_handler)
            )
        return environments

    def deliver(self, job_id: str, *, receive_count: int = 1) -> dict[str, Any]:
        """Hand the worker one message for ``job_id`` as its ``receive_count``-th delivery."""
        return self.handler("GenerationWorkerFunction")(
            sqs_event([job_message(job_id, receive_count)]), LambdaContext()
        )

    def dead_letter(self, job_id: str) -> dict[str, Any]:
        """Hand the dead-letter handler the message of ``job_id`` (moved there by the redrive policy)."""
        return self.handler("GenerationDeadLetterFunction")(
            sqs_event([job_message(job_id, 1)]), LambdaContext()
        )

    def _drain(self, queue_url: str, function: str) -> int:
        """Invoke ``function`` with each waiting message in turn, deleting those it did not report
        as failed, as an event source mapping does."""
        sqs = boto3.client("sqs", region_name=REGION)
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


@dataclass
class _ExecutionEnvironment(InProcessStack):
    """The stack whose every handler is ``own_handler``: one function's module of its own."""

    own_handler: Handler = field(kw_only=True)

    def handler(self, logical_id: str) -> Handler:
        return self.own_handler


def provision_in_process(template_path: Path = TEMPLATE) -> tuple[Template, Resolver]:
    """Create the template's resources in moto's in-process mock (call it inside ``mock_aws``);
    the resolver then answers Ref and GetAtt with them."""
    template = load_template(template_path)
    resolver = Resolver(template)
    provision(template, resolver, InProcessAws())
    declare_emulated_resources(template, resolver, f"https://{API_HOST}")
    return template, resolver


@contextmanager
def in_process_stack(
    template_path: Path = TEMPLATE, *, overrides: Mapping[str, str] | None = None
) -> Iterator[InProcessStack]:
    """moto's in-process mock holding the template's tables, bucket, queues and secret, with
    ``os.environ`` as the functions see it (plus ``overrides``). On exit the environment and
    galleria's cached settings and clients are what they were."""
    saved = dict(os.environ)
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        # serialised, and with S3's own notifications, as the local stack runs moto
        with mock_aws(), serialised_moto(), aws_shaped_s3_events():
            functions = {
                spec.logical_id: spec for spec in read_functions(*provision_in_process(template_path))
            }
            for spec in functions.values():
                os.environ.update(spec.environment)
            os.environ.update(overrides or {})
            get_settings.cache_clear()
            aws.reset_clients()
            yield InProcessStack(functions=functions)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        aws.reset_clients()


def job_message(job_id: str, receive_count: int) -> dict[str, Any]:
    """An SQS message (as ReceiveMessage returns it) carrying ``job_id``."""
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
    """An API Gateway HTTP API (payload format 2.0) event. As API Gateway does, it leaves out the query
    string parameters, path parameters and body a request has none of (rather than sending null)."""
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": API_HOST,
            "domainPrefix": API_HOST.split(".", 1)[0],
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
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if params:
        event["pathParameters"] = params
    if json_body is not None:
        event["body"] = json.dumps(json_body)
    return event


def sqs_event(messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The SQS event an event source mapping builds from received ``messages``."""
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
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:galleria-GenerationQueue",
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }
