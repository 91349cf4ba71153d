"""CloudFormation's AWS::S3::Bucket property shapes, translated to the S3 API's request shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def encryption_configuration(bucket_encryption: Mapping[str, Any]) -> dict[str, Any]:
    """`BucketEncryption` → `PutBucketEncryption`'s ServerSideEncryptionConfiguration."""
    rules = []
    for rule in bucket_encryption["ServerSideEncryptionConfiguration"]:
        api_rule: dict[str, Any] = {
            "ApplyServerSideEncryptionByDefault": dict(rule["ServerSideEncryptionByDefault"])
        }
        if "BucketKeyEnabled" in rule:
            api_rule["BucketKeyEnabled"] = rule["BucketKeyEnabled"]
        rules.append(api_rule)
    return {"Rules": rules}


def cors_configuration(cors: Mapping[str, Any]) -> dict[str, Any]:
    """`CorsConfiguration` → `PutBucketCors`'s CORSConfiguration (a few fields are renamed)."""
    renames = {"Id": "ID", "MaxAge": "MaxAgeSeconds", "ExposedHeaders": "ExposeHeaders"}
    return {
        "CORSRules": [
            {renames.get(key, key): value for key, value in rule.items()} for rule in cors["CorsRules"]
        ]
    }


def lifecycle_configuration(lifecycle: Mapping[str, Any]) -> dict[str, Any]:
    """`LifecycleConfiguration` → `PutBucketLifecycleConfiguration`'s LifecycleConfiguration."""
    return {"Rules": [_lifecycle_rule(rule) for rule in lifecycle["Rules"]]}


def queue_notifications(notifications: Mapping[str, Any]) -> dict[str, Any]:
    """The `QueueConfigurations` of `NotificationConfiguration` → `PutBucketNotificationConfiguration`'s.

    Queue ARNs must already be resolved. Topic and Lambda configurations are left to the caller.
    """
    return {
        "QueueConfigurations": [
            {"QueueArn": queue["Queue"], "Events": [queue["Event"]], **_notification_filter(queue)}
            for queue in notifications.get("QueueConfigurations", [])
        ]
    }


def _notification_filter(configuration: Mapping[str, Any]) -> dict[str, Any]:
    rules = ((configuration.get("Filter") or {}).get("S3Key") or {}).get("Rules")
    if not rules:
        return {}
    return {
        "Filter": {"Key": {"FilterRules": [{"Name": rule["Name"], "Value": rule["Value"]} for rule in rules]}}
    }


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    api_rule: dict[str, Any] = {"Status": rule["Status"], "Filter": _lifecycle_filter(rule)}
    if "Id" in rule:
        api_rule["ID"] = rule["Id"]

    expiration: dict[str, Any] = {}
    if "ExpirationInDays" in rule:
        expiration["Days"] = int(rule["ExpirationInDays"])
    if "ExpirationDate" in rule:
        expiration["Date"] = rule["ExpirationDate"]
    if "ExpiredObjectDeleteMarker" in rule:
        expiration["ExpiredObjectDeleteMarker"] = bool(rule["ExpiredObjectDeleteMarker"])
    if expiration:
        api_rule["Expiration"] = expiration

    if "AbortIncompleteMultipartUpload" in rule:
        days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        api_rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}

    noncurrent = dict(rule.get("NoncurrentVersionExpiration") or {})
    if "NoncurrentVersionExpirationInDays" in rule:
        noncurrent["NoncurrentDays"] = int(rule["NoncurrentVersionExpirationInDays"])
    if noncurrent:
        api_rule["NoncurrentVersionExpiration"] = noncurrent

    transitions = [*rule.get("Transitions", []), *([rule["Transition"]] if "Transition" in rule else [])]
    if transitions:
        api_rule["Transitions"] = [_transition(transition) for transition in transitions]

    noncurrent_transitions = [
        *rule.get("NoncurrentVersionTransitions", []),
        *([rule["NoncurrentVersionTransition"]] if "NoncurrentVersionTransition" in rule else []),
    ]
    if noncurrent_transitions:
        api_rule["NoncurrentVersionTransitions"] = [
            _noncurrent_transition(transition) for transition in noncurrent_transitions
        ]
    return api_rule


def _lifecycle_filter(rule: Mapping[str, Any]) -> dict[str, Any]:
    """CFN spreads a rule's filter over Prefix, TagFilters and ObjectSize*; S3 wants one Filter.

    One condition goes in the Filter itself; several go in `And`, as the S3 API requires.
    """
    tags = [{"Key": tag["Key"], "Value": tag["Value"]} for tag in rule.get("TagFilters", [])]
    scalars = {
        key: int(rule[key]) if key.startswith("ObjectSize") else rule[key]
        for key in ("Prefix", "ObjectSizeGreaterThan", "ObjectSizeLessThan")
        if key in rule
    }
    if len(scalars) + len(tags) > 1:
        return {"And": {**scalars, **({"Tags": tags} if tags else {})}}
    if tags:
        return {"Tag": tags[0]}
    return scalars or {"Prefix": ""}


def _transition(transition: Mapping[str, Any]) -> dict[str, Any]:
    api_transition: dict[str, Any] = {"StorageClass": transition["StorageClass"]}
    if "TransitionInDays" in transition:
        api_transition["Days"] = int(transition["TransitionInDays"])
    if "TransitionDate" in transition:
        api_transition["Date"] = transition["TransitionDate"]
    return api_transition


def _noncurrent_transition(transition: Mapping[str, Any]) -> dict[str, Any]:
    api_transition: dict[str, Any] = {
        "StorageClass": transition["StorageClass"],
        "NoncurrentDays": int(transition["TransitionInDays"]),
    }
    if "NewerNoncurrentVersions" in transition:
        api_transition["NewerNoncurrentVersions"] = int(transition["NewerNoncurrentVersions"])
    return api_transition
