"""Every handler takes AWS's own sample events (SAM CLI's, tests/fixtures/aws_events/), adjusted only in
the values our routes need: a real route's path, method and headers with a valid key; our message
bodies and queues; our bucket and keys. Everything else — the sample's cookies, extra headers,
authorizer, stage variables, base64 body — stays as AWS sent it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote_plus, unquote, urlsplit

import boto3
import pytest
from aws_samples import sample
from media_samples import image_bytes

from galleria import clock
from galleria.config import get_settings
from galleria_local.in_process import InProcessStack as Stack
from galleria_local.in_process import LambdaContext, TeamKey
from galleria_local.intrinsics import ACCOUNT_ID, REGION
from galleria_local.provision import local_name


def api_event(
    stack: Stack, method: str, path: str, key: str, body: Any = None, query: dict[str, str] | None = None
) -> dict[str, Any]:
    """AWS's HTTP API sample, sent to ``method path`` with ``key``; a JSON body goes base64-encoded,
    as in the sample. Without ``query`` the sample's query string stays."""
    _, route_key, path_parameters = stack.route_for(method, path)
    event = sample("apigateway_http_api_proxy.json")
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["headers"] |= {"authorization": f"Bearer {key}", "content-type": "application/json"}
    if path_parameters:
        event["pathParameters"] = path_parameters
    else:
        del event["pathParameters"]  # API Gateway sends none for a route without parameters
    if query is not None:
        event["rawQueryString"] = "&".join(f"{name}={value}" for name, value in query.items())
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    return event


def invoke_api(stack: Stack, method: str, path: str, key: str, **options: Any) -> tuple[int, Any]:
    """(status, JSON body) of the route's function invoked with the adjusted sample."""
    function, _, _ = stack.route_for(method, path)
    result = stack.handler(function)(api_event(stack, method, path, key, **options), LambdaContext())
    body = result.get("body") or "null"
    return result["statusCode"], json.loads(base64.b64decode(body) if result.get("isBase64Encoded") else body)


def sqs_sample(queue: str, body: str) -> dict[str, Any]:
    """AWS's SQS sample, from our ``queue`` (a logical id) and carrying ``body``."""
    event = sample("sqs_receive_message.json")
    (record,) = event["Records"]
    record["body"] = body
    record["md5OfBody"] = hashlib.md5(body.encode()).hexdigest()
    record["eventSourceARN"] = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{local_name(queue)}"
    return event


def s3_sample(name: str, key: str, **object_fields: Any) -> str:
    """AWS's S3 sample ``name`` for our bucket and ``key`` (URL-encoded, as S3 sends it), as JSON."""
    event = sample(name)
    (record,) = event["Records"]
    bucket = get_settings().media_bucket
    record["s3"]["bucket"] |= {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}
    record["s3"]["object"] |= {"key": quote_plus(key, safe="/"), **object_fields}
    return json.dumps(event)


def take_message(queue: str) -> str:
    """The body of the one message our API put on ``queue``, taken off it (the test delivers it)."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=local_name(queue))["QueueUrl"]
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return message["Body"]


ASYNC_JOB = {"prompt": "A lighthouse in the fog", "model": "local/procedural", "async": True}

# One route of each API function: (function, method, path, options, status with an empty gallery).
API_ROUTES = [
    ("GenerateApiFunction", "POST", "/api/v1/generate-image", {"body": ASYNC_JOB}, 202),
    ("GenerateApiFunction", "GET", "/api/v1/account", {}, 200),
    ("GalleryApiFunction", "GET", "/api/v1/gallery", {"query": {"type": "image", "limit": "5"}}, 200),
    ("GalleryApiFunction", "GET", "/api/v1/gallery/storage", {}, 200),
    ("CollectionsApiFunction", "POST", "/api/v1/gallery/collections", {"body": {"name": "Samples"}}, 201),
    (
        "BulkApiFunction",
        "POST",
        "/api/v1/gallery/bulk/tag",
        {"body": {"itemIds": ["gal_01jd0000000000000000000000"], "tags": ["aws"]}},
        200,
    ),
    ("SharesApiFunction", "GET", "/api/v1/gallery/gal_01jd0000000000000000000000/shares", {}, 404),
    ("PublicApiFunction", "GET", "/api/v1/public/gallery", {}, 200),
]
WORKERS = {
    "GenerationWorkerFunction",
    "GenerationDeadLetterFunction",
    "ExportWorkerFunction",
    "IngestWorkerFunction",
    "TrashPurgeFunction",
}


def test_every_function_is_fed_a_sample(stack: Stack) -> None:
    assert {route[0] for route in API_ROUTES} | WORKERS == set(stack.functions)


@pytest.mark.parametrize(
    ("function", "method", "path", "options", "status"),
    API_ROUTES,
    ids=[f"{method} {path}" for _, method, path, _, _ in API_ROUTES],
)
def test_an_api_function_answers_the_http_api_sample(
    stack: Stack, team: TeamKey, function: str, method: str, path: str, options: dict[str, Any], status: int
) -> None:
    assert stack.route_for(method, path)[0] == function

    answered, body = invoke_api(stack, method, path, team.key, **options)

    assert answered == status, body


def test_an_api_function_refuses_the_sample_without_a_valid_key(stack: Stack) -> None:
    status, body = invoke_api(stack, "GET", "/api/v1/account", "glr_not_a_key")

    assert status == 401, body


def _queued_job(stack: Stack, team: TeamKey) -> str:
    status, accepted = invoke_api(stack, "POST", "/api/v1/generate-image", team.key, body=ASYNC_JOB)
    assert status == 202, accepted
    return accepted["jobId"]


def _job(stack: Stack, team: TeamKey, job_id: str) -> dict[str, Any]:
    return stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()


def test_the_generation_worker_runs_the_job_the_sqs_sample_carries(stack: Stack, team: TeamKey) -> None:
    job_id = _queued_job(stack, team)
    event = sqs_sample("GenerationQueue", take_message("GenerationQueue"))

    result = stack.handler("GenerationWorkerFunction")(event, LambdaContext())

    assert result == {"batchItemFailures": []}
    assert _job(stack, team, job_id)["status"] == "succeeded"


def test_the_generation_worker_reports_a_sample_it_cannot_read_as_a_batch_item_failure(
    stack: Stack,
) -> None:
    event = sample("sqs_receive_message.json")  # its body, "Hello from SQS!", is no job message

    result = stack.handler("GenerationWorkerFunction")(event, LambdaContext())

    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}


def test_the_dead_letter_handler_settles_the_job_the_sqs_sample_carries(stack: Stack, team: TeamKey) -> None:
    job_id = _queued_job(stack, team)
    event = sqs_sample("GenerationDeadLetterQueue", take_message("GenerationQueue"))

    result = stack.handler("GenerationDeadLetterFunction")(event, LambdaContext())

    assert result == {"batchItemFailures": []}
    assert _job(stack, team, job_id)["status"] == "failed"


def test_the_export_worker_builds_the_export_the_sqs_sample_carries(stack: Stack, team: TeamKey) -> None:
    item_ids = stack.make_items(team, 1)
    status, accepted = invoke_api(
        stack, "POST", "/api/v1/gallery/exports", team.key, body={"itemIds": item_ids}
    )
    assert status == 202, accepted
    event = sqs_sample("ExportQueue", take_message("ExportQueue"))

    result = stack.handler("ExportWorkerFunction")(event, LambdaContext())

    assert result == {"batchItemFailures": []}
    export = stack.request("GET", accepted["statusUrl"], key=team.key).json()
    assert (export["status"], export["itemCount"]) == ("succeeded", 1)


def test_the_ingest_worker_makes_an_item_of_the_upload_the_s3_put_sample_reports(
    stack: Stack, team: TeamKey
) -> None:
    picture = image_bytes("PNG", (80, 60))
    upload = {"filename": "my holiday.png", "contentType": "image/png", "size": len(picture)}
    status, started = invoke_api(stack, "POST", "/api/v1/gallery/uploads", team.key, body=upload)
    assert status == 201, started
    key = unquote(urlsplit(started["uploadUrl"]).path.split("/", 2)[2])
    bucket = get_settings().media_bucket
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=bucket, Key=key, Body=picture, ContentType=started["headers"]["Content-Type"]
    )
    event = sqs_sample("IngestQueue", s3_sample("s3_put.json", key, size=len(picture)))

    result = stack.handler("IngestWorkerFunction")(event, LambdaContext())

    assert result == {"batchItemFailures": []}
    assert stack.request("GET", started["statusUrl"], key=team.key).json()["status"] == "ready"


def test_the_ingest_worker_purges_the_trashed_item_the_s3_delete_sample_reports_expired(
    stack: Stack, team: TeamKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    (item_id,) = stack.make_items(team, 1)
    trashed = stack.request("DELETE", f"/api/v1/gallery/{item_id}", key=team.key)
    assert trashed.status == 200, trashed.body
    expired_at = datetime.fromisoformat(trashed.json()["purgeAt"]) + timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: expired_at)
    key = f"trash/teams/{team.team_id}/items/{item_id}/original.png"
    boto3.client("s3", region_name=REGION).delete_object(Bucket=get_settings().media_bucket, Key=key)
    expiry = s3_sample("s3_delete.json", key)
    event = sqs_sample("IngestQueue", expiry.replace("ObjectRemoved:Delete", "LifecycleExpiration:Delete"))

    result = stack.handler("IngestWorkerFunction")(event, LambdaContext())

    assert result == {"batchItemFailures": []}
    assert stack.request("GET", f"/api/v1/gallery/{item_id}", key=team.key).status == 404


def test_the_ingest_worker_acknowledges_a_removal_it_has_no_use_for(stack: Stack) -> None:
    event = sqs_sample("IngestQueue", s3_sample("s3_delete.json", "teams/team_1/items/gal_1/original.png"))

    result = stack.handler("IngestWorkerFunction")(event, LambdaContext())

    assert result == {"batchItemFailures": []}


def test_the_trash_purge_runs_on_the_scheduled_event_sample(stack: Stack) -> None:
    event = sample("cloudwatch_scheduled_event.json")

    result = stack.handler("TrashPurgeFunction")(event, LambdaContext())

    assert result == {"purged": 0, "finished": True}
