"""What IAM authorises for a request moto serves: the actions it needs and the resource ARNs they act on.

moto names the operation; IAM sometimes authorises it otherwise. A DynamoDB transaction needs
PutItem/UpdateItem/DeleteItem/ConditionCheckItem (GetItem for TransactGetItems) on each item's table, a
batch the batch action on each of its tables, a Query or Scan of an index the index's ARN. S3's
HeadBucket is s3:ListBucket, DeleteObjects needs s3:DeleteObject on every key, a copy s3:GetObject on its
source, and reading a missing key needs s3:ListBucket as well (S3 answers 403 rather than 404 to a caller
who may not list the bucket). SQS batch actions are their single actions. Secrets and parameters are
named by ARN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import xmltodict
from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends
from moto.secretsmanager.exceptions import SecretsManagerClientError
from moto.secretsmanager.models import secretsmanager_backends

from galleria_local.iam.policy import Permission

_PARTITION = "aws"
_TRANSACT_WRITE_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
_SQS_BATCH_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
# Allowed whatever the caller's policies say, as in AWS.
_ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})


@dataclass(frozen=True)
class ServiceRequest:
    """A request to a service other than S3: its signing name, operation and parameters."""

    service: str
    action: str
    params: Mapping[str, Any]
    region: str
    account: str
    moto_resource: str  # what moto itself would authorise against ("*" when it cannot tell)


def for_service_request(request: ServiceRequest) -> list[Permission]:
    if f"{request.service}:{request.action}" in _ALWAYS_ALLOWED:
        return []
    builder = _BUILDERS.get(request.service)
    if builder is None:
        return [Permission(f"{request.service}:{request.action}", request.moto_resource)]
    return builder(request)


def for_s3_request(
    action: str, bucket: str | None, key: str | None, headers: Mapping[str, str], body: bytes, account: str
) -> list[Permission]:
    """`action` is the IAM name moto gives the request (moto's S3 handlers name most of them right)."""
    if bucket is None:
        return [Permission(f"s3:{action}", "*")]
    bucket_arn = f"arn:{_PARTITION}:s3:::{bucket}"
    if action == "HeadBucket":
        return [Permission("s3:ListBucket", bucket_arn)]
    if key is None and action == "DeleteObject":  # DeleteObjects: one permission per key
        return [Permission("s3:DeleteObject", f"{bucket_arn}/{name}") for name in _keys_to_delete(body)]
    if key is None:
        return [Permission(f"s3:{action}", bucket_arn)]
    needed = [Permission(f"s3:{action}", f"{bucket_arn}/{key}")]
    copy_source = headers.get("x-amz-copy-source")
    if copy_source and action == "PutObject":
        source = unquote(copy_source.lstrip("/").split("?versionId=", 1)[0])
        needed.append(Permission("s3:GetObject", f"arn:{_PARTITION}:s3:::{source}"))
    if action == "GetObject" and not _object_exists(account, bucket, key):
        needed.append(Permission("s3:ListBucket", bucket_arn))
    return needed


def _dynamodb(request: ServiceRequest) -> list[Permission]:
    params = request.params

    def table(name: str) -> str:
        if name.startswith("arn:"):
            return name
        return f"arn:{_PARTITION}:dynamodb:{request.region}:{request.account}:table/{name}"

    if request.action == "TransactWriteItems":
        return [
            Permission(_TRANSACT_WRITE_ACTIONS[kind], table(operation["TableName"]))
            for item in params.get("TransactItems", [])
            for kind, operation in item.items()
        ]
    if request.action == "TransactGetItems":
        return [
            Permission("dynamodb:GetItem", table(item["Get"]["TableName"]))
            for item in params.get("TransactItems", [])
        ]
    if request.action in ("BatchGetItem", "BatchWriteItem"):
        return [
            Permission(f"dynamodb:{request.action}", table(name)) for name in params.get("RequestItems", {})
        ]
    if "TableName" not in params:
        return [Permission(f"dynamodb:{request.action}", "*")]
    resource = table(params["TableName"])
    if params.get("IndexName"):
        resource += f"/index/{params['IndexName']}"
    return [Permission(f"dynamodb:{request.action}", resource)]


def _sqs(request: ServiceRequest) -> list[Permission]:
    action = _SQS_BATCH_ACTIONS.get(request.action, request.action)
    url = str(request.params.get("QueueUrl") or "")
    name = url.rstrip("/").rsplit("/", 1)[-1] or request.params.get("QueueName")
    resource = f"arn:{_PARTITION}:sqs:{request.region}:{request.account}:{name}" if name else "*"
    return [Permission(f"sqs:{action}", resource)]


def _secretsmanager(request: ServiceRequest) -> list[Permission]:
    params = request.params
    secret_ids = params.get("SecretIdList") or [params.get("SecretId") or params.get("Name")]
    return [
        Permission(f"secretsmanager:{request.action}", _secret_arn(request, secret_id) if secret_id else "*")
        for secret_id in secret_ids
    ]


def _ssm(request: ServiceRequest) -> list[Permission]:
    params = request.params
    names = params.get("Names") or [params[key] for key in ("Name", "Path") if key in params]
    prefix = f"arn:{_PARTITION}:ssm:{request.region}:{request.account}:parameter/"
    resources = [name if name.startswith("arn:") else prefix + name.lstrip("/") for name in names]
    return [Permission(f"ssm:{request.action}", resource) for resource in resources or ["*"]]


def _secret_arn(request: ServiceRequest, secret_id: str) -> str:
    """A secret's full ARN (names and partial ARNs too, as IAM sees them once the secret exists)."""
    try:
        return str(secretsmanager_backends[request.account][request.region].describe_secret(secret_id).arn)
    except SecretsManagerClientError:
        if secret_id.startswith("arn:"):
            return secret_id
        return f"arn:{_PARTITION}:secretsmanager:{request.region}:{request.account}:secret:{secret_id}"


def _keys_to_delete(body: bytes) -> list[str]:
    objects = (xmltodict.parse(body).get("Delete") or {}).get("Object") or []
    return [entry["Key"] for entry in ([objects] if isinstance(objects, dict) else objects)]


def _object_exists(account: str, bucket: str, key: str) -> bool:
    try:
        return s3_backends[account][_PARTITION].get_object(bucket, key) is not None
    except MissingBucket:
        return False


_BUILDERS: Mapping[str, Callable[[ServiceRequest], list[Permission]]] = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "secretsmanager": _secretsmanager,
    "ssm": _ssm,
}
