"""template.yaml provisioned in a moto server, and read back through the AWS APIs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from galleria_local.emulated import declare_emulated_resources, resolve_outputs
from galleria_local.intrinsics import Resolver
from galleria_local.local_aws import LocalAws
from galleria_local.provision import dependency_order, provision
from galleria_local.s3_config import lifecycle_configuration
from galleria_local.template import load_template

# `make unit` leaves these out: template.yaml provisioned in a moto server, seconds in all.
pytestmark = pytest.mark.slow

BASE_URL = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def provisioned(project_root: Path, local_aws: LocalAws) -> tuple[Resolver, list[str]]:
    template = load_template(project_root / "template.yaml")
    resolver = Resolver(template)
    declare_emulated_resources(template, resolver, BASE_URL)
    return resolver, provision(template, resolver, local_aws)


def test_dead_letter_queues_are_created_before_the_queues_that_name_them(
    provisioned: tuple[Resolver, list[str]],
) -> None:
    _, order = provisioned

    assert order.index("GenerationDeadLetterQueue") < order.index("GenerationQueue")
    assert "GenerationDeadLetterAlarm" not in order


def test_the_bucket_has_the_templates_lifecycle_rules(
    provisioned: tuple[Resolver, list[str]], local_aws: LocalAws
) -> None:
    resolver, _ = provisioned
    s3 = local_aws.client("s3")
    bucket = resolver.physical("MediaBucket").ref

    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]

    assert bucket == "galleria-mediabucket"
    assert sorted(rules, key=lambda rule: rule["ID"]) == [
        {
            "ID": "abort-incomplete-multipart-uploads",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        },
        {
            "ID": "expire-abandoned-uploads",
            "Status": "Enabled",
            "Filter": {"Prefix": "uploads/"},
            "Expiration": {"Days": 1},
        },
        {
            "ID": "expire-exports",
            "Status": "Enabled",
            "Filter": {"Prefix": "exports/"},
            "Expiration": {"Days": 7},
        },
        {"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
        {
            "ID": "expire-trash",
            "Status": "Enabled",
            "Filter": {"Prefix": "trash/"},
            "Expiration": {"Days": 30},
        },
    ]


def test_the_bucket_is_private_and_encrypted(
    provisioned: tuple[Resolver, list[str]], local_aws: LocalAws
) -> None:
    resolver, _ = provisioned
    s3 = local_aws.client("s3")
    bucket = resolver.physical("MediaBucket").ref

    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]

    assert all(block.values()) and len(block) == 4
    assert encryption[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_tables_have_their_keys_indexes_and_ttl(
    provisioned: tuple[Resolver, list[str]], local_aws: LocalAws
) -> None:
    dynamodb = local_aws.client("dynamodb")

    items = dynamodb.describe_table(TableName="galleria-ItemsTable")["Table"]
    ttl = dynamodb.describe_time_to_live(TableName="galleria-JobsTable")["TimeToLiveDescription"]
    backups = dynamodb.describe_continuous_backups(TableName="galleria-AccountsTable")

    assert items["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert items["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {index["IndexName"]: index for index in items["GlobalSecondaryIndexes"]}
    assert [key["AttributeName"] for key in indexes["LiveByDate"]["KeySchema"]] == ["livePk", "dateSk"]
    assert [key["AttributeName"] for key in indexes["TrashByDate"]["KeySchema"]] == ["trashPk", "trashSk"]
    assert indexes["LiveByDate"]["Projection"] == {"ProjectionType": "ALL"}
    assert indexes["PurgeByTime"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}
    recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"


def test_the_queue_redrives_to_its_dead_letter_queue(
    provisioned: tuple[Resolver, list[str]], local_aws: LocalAws
) -> None:
    resolver, _ = provisioned
    sqs = local_aws.client("sqs")

    queue = sqs.get_queue_attributes(
        QueueUrl=resolver.physical("GenerationQueue").ref, AttributeNames=["All"]
    )
    dead_letters = sqs.get_queue_attributes(
        QueueUrl=resolver.physical("GenerationDeadLetterQueue").ref, AttributeNames=["All"]
    )

    redrive = json.loads(queue["Attributes"]["RedrivePolicy"])
    assert redrive == {"deadLetterTargetArn": dead_letters["Attributes"]["QueueArn"], "maxReceiveCount": 5}
    assert queue["Attributes"]["VisibilityTimeout"] == "1800"
    assert dead_letters["Attributes"]["MessageRetentionPeriod"] == "1209600"


def test_uploads_and_trash_expiry_are_sent_to_the_ingest_queue(
    provisioned: tuple[Resolver, list[str]], local_aws: LocalAws
) -> None:
    resolver, _ = provisioned
    s3 = local_aws.client("s3")
    ingest_arn = local_aws.client("sqs").get_queue_attributes(
        QueueUrl=resolver.physical("IngestQueue").ref, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]

    configurations = s3.get_bucket_notification_configuration(Bucket=resolver.physical("MediaBucket").ref)

    routed = {
        (tuple(c["Events"]), c["Filter"]["Key"]["FilterRules"][0]["Value"], c["QueueArn"])
        for c in configurations["QueueConfigurations"]
    }
    assert routed == {
        (("s3:ObjectCreated:*",), "uploads/", ingest_arn),
        (("s3:LifecycleExpiration:*",), "trash/", ingest_arn),
    }


def test_the_signing_secret_is_generated_as_asked(
    provisioned: tuple[Resolver, list[str]], local_aws: LocalAws
) -> None:
    resolver, _ = provisioned

    secret = local_aws.client("secretsmanager").get_secret_value(
        SecretId=resolver.physical("MediaSigningSecret").ref
    )

    assert len(secret["SecretString"]) == 64
    assert secret["SecretString"].isalnum()


def test_outputs_name_the_provisioned_resources_and_the_local_gateway(
    project_root: Path, provisioned: tuple[Resolver, list[str]], local_aws: LocalAws
) -> None:
    resolver, _ = provisioned
    template = load_template(project_root / "template.yaml")

    outputs = resolve_outputs(template, resolver, BASE_URL)

    assert outputs["ApiUrl"] == BASE_URL
    assert outputs["ItemsTableName"] == "galleria-ItemsTable"
    assert outputs["MediaBucketName"] == "galleria-mediabucket"
    assert outputs["GenerationQueueUrl"] == f"{local_aws.endpoint_url}/123456789012/galleria-GenerationQueue"
    assert outputs["MediaSigningSecretArn"].startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:galleria-MediaSigningSecret-"
    )


def test_bucket_notifications_reach_their_queue(
    write_template: Callable[[str], Path], local_aws: LocalAws
) -> None:
    template = load_template(
        write_template(
            """
            Resources:
              Uploads:
                Type: AWS::S3::Bucket
                Properties:
                  NotificationConfiguration:
                    QueueConfigurations:
                      - Event: s3:ObjectCreated:*
                        Queue: !GetAtt UploadEvents.Arn
                        Filter: {S3Key: {Rules: [{Name: prefix, Value: uploads/}]}}
              UploadEvents:
                Type: AWS::SQS::Queue
            """
        )
    )
    resolver = Resolver(template)
    provision(template, resolver, local_aws)
    s3, sqs = local_aws.client("s3"), local_aws.client("sqs")
    queue_url = resolver.physical("UploadEvents").ref

    s3.put_object(Bucket="galleria-uploads", Key="uploads/a.png", Body=b"png")
    s3.put_object(Bucket="galleria-uploads", Key="elsewhere/b.png", Body=b"png")
    bodies = [
        json.loads(message["Body"])
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    ]

    records = [record for body in bodies for record in body.get("Records", [])]
    # Event keys are URL-encoded (moto encodes "/" too, where S3 leaves it): decode with unquote_plus.
    assert [unquote_plus(record["s3"]["object"]["key"]) for record in records] == ["uploads/a.png"]
    # Like S3, moto first sends a test event when the configuration is saved.
    assert any(body.get("Event") == "s3:TestEvent" for body in bodies)


def test_lifecycle_filters_combine_several_conditions_with_and() -> None:
    rules: list[dict[str, Any]] = [
        {"Id": "tagged", "Status": "Enabled", "Prefix": "a/", "TagFilters": [{"Key": "k", "Value": "v"}]},
        {
            "Id": "one-tag",
            "Status": "Enabled",
            "TagFilters": [{"Key": "k", "Value": "v"}],
            "ExpirationInDays": 2,
        },
        {
            "Id": "moves",
            "Status": "Enabled",
            "Transitions": [{"StorageClass": "GLACIER", "TransitionInDays": 90}],
            "NoncurrentVersionExpirationInDays": 5,
        },
    ]

    translated = lifecycle_configuration({"Rules": rules})["Rules"]

    assert translated[0]["Filter"] == {"And": {"Prefix": "a/", "Tags": [{"Key": "k", "Value": "v"}]}}
    assert translated[1]["Filter"] == {"Tag": {"Key": "k", "Value": "v"}}
    assert translated[1]["Expiration"] == {"Days": 2}
    assert translated[2]["Filter"] == {"Prefix": ""}
    assert translated[2]["Transitions"] == [{"StorageClass": "GLACIER", "Days": 90}]
    assert translated[2]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 5}


def test_circular_references_are_reported() -> None:
    definitions: dict[str, dict[str, Any]] = {
        "A": {"Type": "AWS::SQS::Queue", "Properties": {"X": {"Fn::Sub": "${B.Arn}"}}},
        "B": {"Type": "AWS::SQS::Queue", "DependsOn": "A"},
    }

    with pytest.raises(ValueError, match="Circular references between A, B"):
        dependency_order(definitions)
