"""A team's gallery storage on the in-process stack (the integration tests): uploads made as a client
makes them, a presigned PUT and then the ingest worker, and stored bytes set outright."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import boto3
from media_samples import image_bytes

from galleria.accounts.repository import AccountsRepository, team_key
from galleria.config import get_settings
from galleria_local.in_process import HttpResponse, InProcessStack, TeamKey

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PNG = image_bytes("PNG", (80, 60))


def s3() -> S3Client:
    return boto3.client("s3", region_name="us-east-1")


def start(
    stack: InProcessStack,
    team: TeamKey,
    filename: str = "holiday.png",
    content_type: str = "image/png",
    size: int = 0,
) -> HttpResponse:
    body = {"filename": filename, "contentType": content_type, "size": size or len(PNG)}
    return stack.request("POST", "/api/v1/gallery/uploads", key=team.key, json_body=body)


def put(started: dict[str, Any], data: bytes) -> None:
    """PUT the bytes where the presigned URL points, with the headers it requires."""
    key = unquote(urlsplit(started["uploadUrl"]).path.split("/", 2)[2])
    s3().put_object(
        Bucket=get_settings().media_bucket,
        Key=key,
        Body=data,
        ContentType=started["headers"]["Content-Type"],
    )


def upload(
    stack: InProcessStack,
    team: TeamKey,
    data: bytes,
    filename: str = "holiday.png",
    content_type: str = "image/png",
) -> dict[str, Any]:
    """The upload's status document once the file is PUT and the ingest worker has run."""
    started = start(stack, team, filename, content_type, len(data))
    assert started.status == 201, started.body
    put(started.json(), data)
    stack.run_ingest()
    status: dict[str, Any] = stack.request("GET", started.json()["statusUrl"], key=team.key).json()
    return status


def fill_storage(team_id: str, used: int) -> None:
    """Set the team's stored bytes as if other images took that much room."""
    repo = AccountsRepository()
    repo.client.update_item(
        TableName=repo.table,
        Key=team_key(team_id),
        UpdateExpression="SET storage_used = :used",
        ExpressionAttributeValues={":used": {"N": str(used)}},
    )
