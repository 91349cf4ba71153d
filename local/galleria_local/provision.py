"""Create in the local AWS what template.yaml declares: tables, buckets, queues and secrets.

Each resource's Properties are resolved just before it is created, in dependency order, so a queue's
RedrivePolicy or a bucket's notifications see the physical ARNs of what they point at.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from galleria_local.intrinsics import PhysicalResource, Resolver
from galleria_local.local_aws import AwsClients
from galleria_local.s3_config import (
    cors_configuration,
    encryption_configuration,
    lifecycle_configuration,
    queue_notifications,
)
from galleria_local.secret_strings import generate_secret_string
from galleria_local.template import Template

if TYPE_CHECKING:  # the stubs are a development dependency, only for the type checker
    from mypy_boto3_sqs.literals import QueueAttributeNameType

logger = logging.getLogger(__name__)

NAME_PREFIX = "galleria"

# Resource types the local stack runs itself rather than creating in moto (see emulated.py).
EMULATED_TYPES = frozenset(
    {"AWS::Serverless::Function", "AWS::Serverless::LayerVersion", "AWS::Serverless::HttpApi"}
)

_TABLE_PASSTHROUGH = ("LocalSecondaryIndexes", "ProvisionedThroughput", "Tags")
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")
_QUEUE_ATTRIBUTES: tuple[QueueAttributeNameType, ...] = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)
_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")


def local_name(logical_id: str) -> str:
    """The local physical name of a table, queue, secret or function."""
    return f"{NAME_PREFIX}-{logical_id}"


def provision(template: Template, resolver: Resolver, aws: AwsClients) -> list[str]:
    """Create every supported resource and register its identity; returns the logical ids created."""
    wanted = {
        logical_id: definition
        for logical_id, definition in template.resources.items()
        if definition.get("Type") in _CREATORS and resolver.includes(definition, f"Resources.{logical_id}")
    }
    ignored = [
        f"{logical_id} ({definition.get('Type')})"
        for logical_id, definition in template.resources.items()
        if definition.get("Type") not in _CREATORS and definition.get("Type") not in EMULATED_TYPES
    ]
    if ignored:
        logger.debug("Not provisioned locally: %s", ", ".join(ignored))

    ordered = dependency_order(wanted)
    for logical_id in ordered:
        definition = wanted[logical_id]
        properties = resolver.resolve(
            definition.get("Properties") or {}, f"Resources.{logical_id}.Properties"
        )
        physical = _CREATORS[definition["Type"]](aws, logical_id, properties)
        resolver.register(logical_id, physical)
        logger.debug("Provisioned %s as %s", logical_id, physical.ref)
    return ordered


def dependency_order(definitions: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids ordered so that each comes after the resources it references (template order otherwise)."""
    pending = {
        logical_id: (references(definition) & definitions.keys()) - {logical_id}
        for logical_id, definition in definitions.items()
    }
    ordered: list[str] = []
    while pending:
        ready = [logical_id for logical_id, needs in pending.items() if needs <= set(ordered)]
        if not ready:
            raise ValueError(f"Circular references between {', '.join(sorted(pending))}")
        for logical_id in ready:
            ordered.append(logical_id)
            del pending[logical_id]
    return ordered


def references(value: Any) -> set[str]:
    """Names a template fragment refers to through Ref, Fn::GetAtt, Fn::Sub or DependsOn."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, args in value.items():
            if key == "Ref" and isinstance(args, str):
                found.add(args)
            elif key == "Fn::GetAtt":
                found.add(args.split(".", 1)[0] if isinstance(args, str) else args[0])
            elif key == "Fn::Sub":
                text = args if isinstance(args, str) else args[0]
                found |= {name.split(".", 1)[0] for name in _SUB_NAME.findall(text)}
                found |= references(args[1:]) if isinstance(args, list) else set()
            elif key == "DependsOn":
                found |= {args} if isinstance(args, str) else set(args)
            else:
                found |= references(args)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def _create_table(aws: AwsClients, logical_id: str, properties: Mapping[str, Any]) -> PhysicalResource:
    name = local_name(logical_id)
    dynamodb = aws.client("dynamodb")
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties.get("BillingMode", "PROVISIONED"),
        **{key: properties[key] for key in _TABLE_PASSTHROUGH if key in properties},
    }
    if "GlobalSecondaryIndexes" in properties:
        request["GlobalSecondaryIndexes"] = [
            {key: index[key] for key in _INDEX_KEYS if key in index}
            for index in properties["GlobalSecondaryIndexes"]
        ]
    if "StreamSpecification" in properties:
        view_type = properties["StreamSpecification"]["StreamViewType"]
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
    if "SSESpecification" in properties:
        sse = properties["SSESpecification"]
        request["SSESpecification"] = {
            "Enabled": bool(sse.get("SSEEnabled", False)),
            **{key: sse[key] for key in ("SSEType", "KMSMasterKeyId") if key in sse},
        }
    table = dynamodb.create_table(**request)["TableDescription"]

    ttl = properties.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
        )
    if (properties.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled"):
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    attributes = {"Arn": table["TableArn"]}
    if "LatestStreamArn" in table:
        attributes["StreamArn"] = table["LatestStreamArn"]
    return PhysicalResource(ref=name, attributes=attributes)


def _create_bucket(aws: AwsClients, logical_id: str, properties: Mapping[str, Any]) -> PhysicalResource:
    # Bucket names are lower case; the other resources keep the logical id's case.
    name = local_name(logical_id).lower()
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=name)
    if "BucketEncryption" in properties:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration=encryption_configuration(properties["BucketEncryption"]),
        )
    if "PublicAccessBlockConfiguration" in properties:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"]
        )
    if "OwnershipControls" in properties:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=properties["OwnershipControls"])
    if "VersioningConfiguration" in properties:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=properties["VersioningConfiguration"])
    if "CorsConfiguration" in properties:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration=cors_configuration(properties["CorsConfiguration"]))
    if "LifecycleConfiguration" in properties:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration=lifecycle_configuration(properties["LifecycleConfiguration"])
        )
    if "NotificationConfiguration" in properties:
        notifications = properties["NotificationConfiguration"]
        others = sorted(set(notifications) - {"QueueConfigurations"})
        if others:
            logger.warning("%s: only queue notifications are delivered locally, not %s", logical_id, others)
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration=queue_notifications(notifications)
        )
    if "Tags" in properties:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": properties["Tags"]})
    return PhysicalResource(ref=name, attributes={"Arn": f"arn:aws:s3:::{name}"})


def _create_queue(aws: AwsClients, logical_id: str, properties: Mapping[str, Any]) -> PhysicalResource:
    name = local_name(logical_id) + (".fifo" if properties.get("FifoQueue") else "")
    sqs = aws.client("sqs")
    attributes = {key: _queue_attribute(properties[key]) for key in _QUEUE_ATTRIBUTES if key in properties}
    tags = {tag["Key"]: tag["Value"] for tag in properties.get("Tags", [])}
    url = sqs.create_queue(QueueName=name, Attributes=attributes, tags=tags)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return PhysicalResource(ref=url, attributes={"Arn": arn, "QueueName": name, "QueueUrl": url})


def _create_secret(aws: AwsClients, logical_id: str, properties: Mapping[str, Any]) -> PhysicalResource:
    request: dict[str, Any] = {"Name": local_name(logical_id)}
    if "Description" in properties:
        request["Description"] = properties["Description"]
    if "SecretString" in properties:
        request["SecretString"] = properties["SecretString"]
    elif "GenerateSecretString" in properties:
        request["SecretString"] = generate_secret_string(properties["GenerateSecretString"])
    arn = aws.client("secretsmanager").create_secret(**request)["ARN"]
    return PhysicalResource(ref=arn, attributes={"Id": arn})


def _queue_attribute(value: Any) -> str:
    """SQS attributes are strings: policies as JSON, booleans in lower case."""
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_CREATORS: Mapping[str, Callable[[AwsClients, str, Mapping[str, Any]], PhysicalResource]] = {
    "AWS::DynamoDB::Table": _create_table,
    "AWS::S3::Bucket": _create_bucket,
    "AWS::SQS::Queue": _create_queue,
    "AWS::SecretsManager::Secret": _create_secret,
}
