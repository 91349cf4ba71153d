"""CloudFormation's AWS::S3::Bucket property shapes, translated to the S3 API's request shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:  # the stubs are a development dependency, only for the type checker
    from mypy_boto3_s3.type_defs import (
        BucketLifecycleConfigurationTypeDef,
        CORSConfigurationTypeDef,
        CORSRuleTypeDef,
        LifecycleExpirationTypeDef,
        LifecycleRuleAndOperatorTypeDef,
        LifecycleRuleFilterTypeDef,
        LifecycleRuleTypeDef,
        NoncurrentVersionExpirationTypeDef,
        NoncurrentVersionTransitionTypeDef,
        NotificationConfigurationFilterTypeDef,
        NotificationConfigurationTypeDef,
        QueueConfigurationTypeDef,
        ServerSideEncryptionByDefaultTypeDef,
        ServerSideEncryptionConfigurationTypeDef,
        ServerSideEncryptionRuleTypeDef,
        TagTypeDef,
        TransitionTypeDef,
    )


def encryption_configuration(
    bucket_encryption: Mapping[str, Any],
) -> ServerSideEncryptionConfigurationTypeDef:
    """`BucketEncryption` → `PutBucketEncryption`'s ServerSideEncryptionConfiguration."""
    rules: list[ServerSideEncryptionRuleTypeDef] = []
    for rule in bucket_encryption["ServerSideEncryptionConfiguration"]:
        # CloudFormation's ServerSideEncryptionByDefault has the API's shape.
        by_default = cast("ServerSideEncryptionByDefaultTypeDef", dict(rule["ServerSideEncryptionByDefault"]))
        api_rule: ServerSideEncryptionRuleTypeDef = {"ApplyServerSideEncryptionByDefault": by_default}
        if "BucketKeyEnabled" in rule:
            api_rule["BucketKeyEnabled"] = rule["BucketKeyEnabled"]
        rules.append(api_rule)
    return {"Rules": rules}


def cors_configuration(cors: Mapping[str, Any]) -> CORSConfigurationTypeDef:
    """`CorsConfiguration` → `PutBucketCors`'s CORSConfiguration (a few fields are renamed)."""
    renames = {"Id": "ID", "MaxAge": "MaxAgeSeconds", "ExposedHeaders": "ExposeHeaders"}
    return {
        "CORSRules": [
            cast("CORSRuleTypeDef", {renames.get(key, key): value for key, value in rule.items()})
            for rule in cors["CorsRules"]
        ]
    }


def lifecycle_configuration(lifecycle: Mapping[str, Any]) -> BucketLifecycleConfigurationTypeDef:
    """`LifecycleConfiguration` → `PutBucketLifecycleConfiguration`'s LifecycleConfiguration."""
    return {"Rules": [_lifecycle_rule(rule) for rule in lifecycle["Rules"]]}


def queue_notifications(notifications: Mapping[str, Any]) -> NotificationConfigurationTypeDef:
    """The `QueueConfigurations` of `NotificationConfiguration` → `PutBucketNotificationConfiguration`'s.

    Queue ARNs must already be resolved. Topic and Lambda configurations are left to the caller.
    """
    return {
        "QueueConfigurations": [
            _queue_configuration(queue) for queue in notifications.get("QueueConfigurations", [])
        ]
    }


def _queue_configuration(queue: Mapping[str, Any]) -> QueueConfigurationTypeDef:
    configuration: QueueConfigurationTypeDef = {"QueueArn": queue["Queue"], "Events": [queue["Event"]]}
    notification_filter = _notification_filter(queue)
    if notification_filter is not None:
        configuration["Filter"] = notification_filter
    return configuration


def _notification_filter(configuration: Mapping[str, Any]) -> NotificationConfigurationFilterTypeDef | None:
    rules = ((configuration.get("Filter") or {}).get("S3Key") or {}).get("Rules")
    if not rules:
        return None
    return {"Key": {"FilterRules": [{"Name": rule["Name"], "Value": rule["Value"]} for rule in rules]}}


def _lifecycle_rule(rule: Mapping[str, Any]) -> LifecycleRuleTypeDef:
    api_rule: LifecycleRuleTypeDef = {"Status": rule["Status"], "Filter": _lifecycle_filter(rule)}
    if "Id" in rule:
        api_rule["ID"] = rule["Id"]

    expiration: LifecycleExpirationTypeDef = {}
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

    # CloudFormation's NoncurrentVersionExpiration has the API's shape.
    noncurrent = cast(
        "NoncurrentVersionExpirationTypeDef", dict(rule.get("NoncurrentVersionExpiration") or {})
    )
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


def _lifecycle_filter(rule: Mapping[str, Any]) -> LifecycleRuleFilterTypeDef:
    """CFN spreads a rule's filter over Prefix, TagFilters and ObjectSize*; S3 wants one Filter.

    One condition goes in the Filter itself; several go in `And`, as the S3 API requires.
    """
    tags: list[TagTypeDef] = [
        {"Key": tag["Key"], "Value": tag["Value"]} for tag in rule.get("TagFilters", [])
    ]
    scalars: LifecycleRuleAndOperatorTypeDef = {}
    if "Prefix" in rule:
        scalars["Prefix"] = rule["Prefix"]
    if "ObjectSizeGreaterThan" in rule:
        scalars["ObjectSizeGreaterThan"] = int(rule["ObjectSizeGreaterThan"])
    if "ObjectSizeLessThan" in rule:
        scalars["ObjectSizeLessThan"] = int(rule["ObjectSizeLessThan"])
    if len(scalars) + len(tags) > 1:
        return {"And": {**scalars, "Tags": tags} if tags else scalars}
    if tags:
        return {"Tag": tags[0]}
    # At most one of Prefix and ObjectSize*, which the Filter itself holds as they are.
    return cast("LifecycleRuleFilterTypeDef", scalars) if scalars else {"Prefix": ""}


def _transition(transition: Mapping[str, Any]) -> TransitionTypeDef:
    api_transition: TransitionTypeDef = {"StorageClass": transition["StorageClass"]}
    if "TransitionInDays" in transition:
        api_transition["Days"] = int(transition["TransitionInDays"])
    if "TransitionDate" in transition:
        api_transition["Date"] = transition["TransitionDate"]
    return api_transition


def _noncurrent_transition(transition: Mapping[str, Any]) -> NoncurrentVersionTransitionTypeDef:
    api_transition: NoncurrentVersionTransitionTypeDef = {
        "StorageClass": transition["StorageClass"],
        "NoncurrentDays": int(transition["TransitionInDays"]),
    }
    if "NewerNoncurrentVersions" in transition:
        api_transition["NewerNoncurrentVersions"] = int(transition["NewerNoncurrentVersions"])
    return api_transition
