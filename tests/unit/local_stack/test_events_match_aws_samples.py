"""Our Lambda events against AWS's samples (SAM CLI's, tests/fixtures/aws_events/).

The gateway's HTTP API events, the pollers' SQS events and the bucket's notifications as moto
delivers them through SQS must have the samples' structure (keys, nesting, value types), and
Powertools' event classes must read from them whatever they read from the samples. The sample
events in events/ are held to the same samples.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2, S3Event, SQSEvent
from aws_samples import (
    SAMPLE_COMMANDS,
    SAMPLES_DIR,
    sample,
    structure_differences,
    unreadable_on_ours,
)

from galleria_local.functions import HttpRoute, SqsSource
from galleria_local.gateway import Gateway
from galleria_local.http_events import HttpRequest
from galleria_local.in_process import http_event, job_message, sqs_event
from galleria_local.local_aws import LocalAws
from galleria_local.pollers import SqsPoller
from galleria_local.routes import RouteTable
from galleria_local.runtime import InvocationResult
from galleria_local.s3_config import queue_notifications
from galleria_local.template import load_template

ROOT = Path(__file__).resolve().parents[3]
SAM = os.environ.get("SAM_CLI", "")

AWS_HTTP = sample("apigateway_http_api_proxy.json")
AWS_SQS = sample("sqs_receive_message.json")
AWS_S3_PUT = sample("s3_put.json")
AWS_S3_DELETE = sample("s3_delete.json")
AWS_SCHEDULE = sample("cloudwatch_scheduled_event.json")

# In AWS's HTTP API sample, present only when an API configures mutual TLS, an authorizer or stage
# variables; ours configures none (test_the_api_configures_none_of_what_adds_fields_to_its_events).
FEATURE_FIELDS = [
    "requestContext.authentication: missing",
    "requestContext.authorizer: missing",
    "stageVariables: missing",
]
FEATURE_PROPERTIES = "request_context.authentication"  # Powertools reads the authorizer as {} when absent
# Left out by API Gateway when the request has none of them.
PER_REQUEST_FIELDS = [
    f"{key}: missing" for key in ("cookies", "queryStringParameters", "pathParameters", "body")
]


# --- the samples are SAM CLI's, as its pinned version generates them ---------------------------------


def _pinned_sam_version() -> str:
    match = re.search(r"aws-sam-cli==(\S+)", (ROOT / "requirements" / "sam.txt").read_text(encoding="utf-8"))
    assert match, "requirements/sam.txt pins aws-sam-cli"
    return match[1]


def test_every_sample_has_its_command_and_the_readme_names_the_pinned_version() -> None:
    assert sorted(path.name for path in SAMPLES_DIR.glob("*.json")) == sorted(SAMPLE_COMMANDS)
    readme = (SAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    assert f"SAM CLI {_pinned_sam_version()}" in readme
    for arguments in SAMPLE_COMMANDS.values():
        assert re.search(r"generate-event\s+" + r"\s+".join(arguments), readme), arguments


@pytest.mark.skipif(not SAM, reason="SAM_CLI is not set: `make test` installs SAM CLI and sets it")
@pytest.mark.parametrize("name", sorted(SAMPLE_COMMANDS))
def test_the_committed_samples_are_what_sam_cli_generates(name: str, tmp_path: Path) -> None:
    environment = {**os.environ, "SAM_CLI_TELEMETRY": "0"}

    def sam(*arguments: str) -> str:
        # From an empty folder: no samconfig.toml may supply values.
        result = subprocess.run(
            [SAM, *arguments],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert _pinned_sam_version() in sam("--version")
    assert json.loads(sam("local", "generate-event", *SAMPLE_COMMANDS[name])) == sample(name)


# --- HTTP API (payload format 2.0) events --------------------------------------------------------------

ROUTE = HttpRoute(function_id="Items", method="POST", path="/teams/{teamId}/items")


@dataclass
class RecordingPool:
    """Stands in for a function's pool: keeps each event it is invoked with."""

    events: list[dict[str, Any]] = field(default_factory=list)

    def invoke(self, event: dict[str, Any], wait_limit_seconds: float | None = None) -> InvocationResult:
        self.events.append(event)
        return InvocationResult(request_id="stub", duration_ms=0.0, payload={"statusCode": 204})


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[Gateway, RecordingPool]]:
    pool = RecordingPool()
    local_gateway = Gateway("127.0.0.1", 0, api_id="local")
    local_gateway.start(RouteTable([ROUTE]), {"Items": pool}, None)  # type: ignore[dict-item]
    yield local_gateway, pool
    local_gateway.stop()


def _gateway_event(
    gateway: tuple[Gateway, RecordingPool],
    body: bytes,
    content_type: str,
    cookie_header: str = "; ".join(AWS_HTTP["cookies"]),
) -> dict[str, Any]:
    """The event the gateway hands the function for a POST with AWS's sample query string and cookies."""
    local_gateway, pool = gateway
    request = HttpRequest(
        method="POST",
        target=f"/teams/t1/items?{AWS_HTTP['rawQueryString']}",
        protocol="HTTP/1.1",
        headers=[
            ("Host", "127.0.0.1:8000"),
            ("User-Agent", "agent"),
            ("Cookie", cookie_header),
            ("Content-Type", content_type),
        ],
        body=body,
        source_ip="127.0.0.1",
        server_port=local_gateway.port,
    )
    assert local_gateway.handle(request).status == 204
    return pool.events[-1]


SAMPLE_BODY = b'{"test":"body"}'  # what AWS's sample carries, base64-encoded


@pytest.mark.parametrize("content_type", ["application/octet-stream", "application/json"])
def test_the_gateways_event_has_the_structure_of_aws_sample(
    gateway: tuple[Gateway, RecordingPool], content_type: str
) -> None:
    event = _gateway_event(gateway, SAMPLE_BODY, content_type)

    assert structure_differences(event, AWS_HTTP) == FEATURE_FIELDS


@pytest.mark.parametrize("content_type", ["application/octet-stream", "application/json"])
def test_powertools_reads_from_the_gateways_event_all_it_reads_from_aws_sample(
    gateway: tuple[Gateway, RecordingPool], content_type: str
) -> None:
    event = APIGatewayProxyEventV2(_gateway_event(gateway, SAMPLE_BODY, content_type))

    unreadable = unreadable_on_ours(event, APIGatewayProxyEventV2(AWS_HTTP))

    assert unreadable, "AWS's sample has a client certificate (mutual TLS); ours has none"
    assert [path for path in unreadable if not path.startswith(FEATURE_PROPERTIES)] == []
    assert event.json_body == {"test": "body"}


def test_repeated_query_parameters_are_joined_with_commas_and_the_raw_query_string_kept(
    gateway: tuple[Gateway, RecordingPool],
) -> None:
    event = _gateway_event(gateway, SAMPLE_BODY, "application/json")

    assert AWS_HTTP["rawQueryString"] == "parameter1=value1&parameter1=value2&parameter2=value"
    assert event["rawQueryString"] == AWS_HTTP["rawQueryString"]
    assert event["queryStringParameters"] == AWS_HTTP["queryStringParameters"]


def test_cookies_come_in_their_own_list_not_in_the_headers(gateway: tuple[Gateway, RecordingPool]) -> None:
    event = _gateway_event(gateway, SAMPLE_BODY, "application/json")

    assert event["cookies"] == AWS_HTTP["cookies"] == ["cookie1", "cookie2"]
    assert not [name for name in event["headers"] if name.lower() == "cookie"]
    assert not [name for name in AWS_HTTP["headers"] if name.lower() == "cookie"]


def test_powertools_reads_the_cookies_of_the_gateways_event(gateway: tuple[Gateway, RecordingPool]) -> None:
    event = _gateway_event(gateway, SAMPLE_BODY, "application/json", cookie_header="theme=dark; session=a1")

    assert APIGatewayProxyEventV2(event).resolved_cookies_field == {"theme": "dark", "session": "a1"}


def test_a_binary_body_comes_base64_encoded(gateway: tuple[Gateway, RecordingPool]) -> None:
    event = _gateway_event(gateway, SAMPLE_BODY, "application/octet-stream")

    assert AWS_HTTP["isBase64Encoded"] is True
    assert (event["isBase64Encoded"], event["body"]) == (True, AWS_HTTP["body"])
    assert APIGatewayProxyEventV2(event).decoded_body == SAMPLE_BODY.decode()


def test_the_api_configures_none_of_what_adds_fields_to_its_events() -> None:
    """The FEATURE_FIELDS ours leaves out: a new authorizer, stage variable or mutual TLS needs them."""
    resources = load_template(ROOT / "template.yaml").body["Resources"]
    apis = [r for r in resources.values() if r["Type"] == "AWS::Serverless::HttpApi"]
    assert apis
    for api in apis:
        properties = api.get("Properties") or {}
        assert not {"Auth", "StageVariables"} & set(properties)
        assert "MutualTlsAuthentication" not in (properties.get("Domain") or {})
    for resource in resources.values():
        assert resource["Type"] not in {"AWS::ApiGatewayV2::Authorizer", "AWS::ApiGatewayV2::Stage"}
        assert "MutualTlsAuthentication" not in (resource.get("Properties") or {})
        for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
            assert "Auth" not in (event.get("Properties") or {})


def test_the_in_process_event_has_the_structure_of_aws_sample() -> None:
    """The integration tests' events (galleria_local.in_process), with all a request can carry."""
    event = http_event(
        "POST", "/teams/t1/items", ROUTE.route_key, {"teamId": "t1"}, {"host": "h"}, {"a": "1"}, {"b": 2}
    )
    event["cookies"] = ["c=1"]  # as InProcessStack.request adds them

    assert structure_differences(event, AWS_HTTP) == FEATURE_FIELDS


def test_the_in_process_event_leaves_out_what_a_request_lacks_rather_than_sending_null() -> None:
    event = http_event("GET", "/items", "GET /items", {}, {"host": "h"}, None, None)

    assert None not in event.values()
    assert structure_differences(event, AWS_HTTP) == sorted(FEATURE_FIELDS + PER_REQUEST_FIELDS)


# --- SQS events, and bucket notifications through SQS --------------------------------------------------


@dataclass(frozen=True)
class Queue:
    url: str
    arn: str


@pytest.fixture
def queue(local_aws: LocalAws) -> Queue:
    sqs = local_aws.client("sqs")
    url = sqs.create_queue(QueueName=f"events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Queue(url, arn)


def _poll(local_aws: LocalAws, queue: Queue) -> dict[str, Any]:
    """The SQS event the poller hands its function for what waits on `queue`."""
    pool = RecordingPool()
    poller = SqsPoller(SqsSource("Worker", queue.arn), queue.url, pool, local_aws.client("sqs"))  # type: ignore[arg-type]
    assert poller.poll_once()
    (event,) = pool.events
    return event


def test_the_pollers_event_has_the_structure_of_aws_sample(local_aws: LocalAws, queue: Queue) -> None:
    local_aws.client("sqs").send_message(QueueUrl=queue.url, MessageBody="Hello from SQS!")

    event = _poll(local_aws, queue)

    assert structure_differences(event, AWS_SQS) == []
    assert unreadable_on_ours(SQSEvent(event), SQSEvent(AWS_SQS)) == []


def test_the_in_process_sqs_event_has_the_structure_of_aws_sample() -> None:
    event = sqs_event([job_message("job_1", receive_count=2)])

    assert structure_differences(event, AWS_SQS) == []
    assert unreadable_on_ours(SQSEvent(event), SQSEvent(AWS_SQS)) == []


@pytest.fixture
def bucket(local_aws: LocalAws, queue: Queue) -> str:
    """A bucket that reports uploads/ and removals to `queue`, configured as provisioning does."""
    name = f"events-{uuid.uuid4().hex[:8]}"
    s3 = local_aws.client("s3")
    s3.create_bucket(Bucket=name)
    notifications = {
        "QueueConfigurations": [
            {
                "Event": "s3:ObjectCreated:*",
                "Queue": queue.arn,
                "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "uploads/"}]}},
            },
            {"Event": "s3:ObjectRemoved:*", "Queue": queue.arn},
        ]
    }
    s3.put_bucket_notification_configuration(
        Bucket=name, NotificationConfiguration=queue_notifications(notifications)
    )
    local_aws.client("sqs").purge_queue(QueueUrl=queue.url)  # S3's test event
    return name


KEY = "uploads/team 1/my photo+1.png"


def _bucket_event(local_aws: LocalAws, queue: Queue) -> tuple[dict[str, Any], dict[str, Any]]:
    """The SQS event of one bucket notification, and the S3 event its body carries."""
    event = _poll(local_aws, queue)
    (record,) = event["Records"]
    return event, json.loads(record["body"])


def test_an_upload_notification_has_the_structure_of_aws_put_sample(
    local_aws: LocalAws, queue: Queue, bucket: str
) -> None:
    local_aws.client("s3").put_object(Bucket=bucket, Key=KEY, Body=b"picture")

    event, notification = _bucket_event(local_aws, queue)

    assert structure_differences(event, AWS_SQS) == []
    assert structure_differences(notification, AWS_S3_PUT) == []
    nested = next(SQSEvent(event).records).decoded_nested_s3_event
    assert unreadable_on_ours(nested, S3Event(AWS_S3_PUT)) == []
    assert (nested.record.event_name, nested.record.s3.get_object.size) == ("ObjectCreated:Put", 7)


def test_a_removal_notification_has_the_structure_of_aws_delete_sample(
    local_aws: LocalAws, queue: Queue, bucket: str
) -> None:
    s3 = local_aws.client("s3")
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"picture")
    _, created = _bucket_event(local_aws, queue)
    s3.delete_object(Bucket=bucket, Key=KEY)

    event, notification = _bucket_event(local_aws, queue)

    assert structure_differences(event, AWS_SQS) == []
    assert structure_differences(notification, AWS_S3_DELETE) == []
    assert unreadable_on_ours(S3Event(notification), S3Event(AWS_S3_DELETE)) == []
    assert notification["Records"][0]["eventName"] == "ObjectRemoved:Delete"
    sequencers = [n["Records"][0]["s3"]["object"]["sequencer"] for n in (created, notification)]
    assert sequencers[0] < sequencers[1], "a later event on a key has the greater sequencer"


def test_keys_arrive_url_encoded_with_spaces_as_plus(local_aws: LocalAws, queue: Queue, bucket: str) -> None:
    local_aws.client("s3").put_object(Bucket=bucket, Key=KEY, Body=b"picture")

    _, notification = _bucket_event(local_aws, queue)

    key = notification["Records"][0]["s3"]["object"]["key"]
    assert key == "uploads/team+1/my+photo%2B1.png"
    assert unquote_plus(key) == S3Event(notification).object_key == KEY


# --- the sample events in events/ ----------------------------------------------------------------------

EVENTS = sorted((ROOT / "events").glob("*.json"))


def _events_differences(event: dict[str, Any]) -> list[str]:
    """`event`'s differences from the AWS sample of its kind, less those AWS itself shows per request."""
    if "routeKey" in event:
        expected = FEATURE_FIELDS + PER_REQUEST_FIELDS
        return [d for d in structure_differences(event, AWS_HTTP) if d not in expected]
    if event.get("source") == "aws.events":
        # SAM's scheduled event has no "version"; EventBridge sends "version": "0".
        return [d for d in structure_differences(event, AWS_SCHEDULE) if d != "version: not sent by AWS"]
    differences = structure_differences(event, AWS_SQS)
    for record in event["Records"]:
        body = json.loads(record["body"])
        if "Records" in body:
            created = body["Records"][0]["eventName"].startswith("ObjectCreated:")
            differences += structure_differences(body, AWS_S3_PUT if created else AWS_S3_DELETE)
    return differences


@pytest.mark.parametrize("path", EVENTS, ids=[path.name for path in EVENTS])
def test_the_sample_events_in_events_have_the_structure_of_aws_samples(path: Path) -> None:
    assert _events_differences(json.loads(path.read_text(encoding="utf-8"))) == []
