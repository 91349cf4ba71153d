"""IAM enforced by the local AWS: each function's role expanded from the template, a session of it, and
every call refused that the role's policies do not allow, service by service, as AWS refuses it."""

from __future__ import annotations

import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from galleria_local.__main__ import parse_args
from galleria_local.banner import render_banner
from galleria_local.emulated import declare_emulated_resources
from galleria_local.iam.policy import Decision, Permission, decide
from galleria_local.iam.principals import role_sessions
from galleria_local.iam.roles import ExpansionError, FunctionRole, function_roles
from galleria_local.intrinsics import REGION, Resolver
from galleria_local.local_aws import AwsClients, LocalAws
from galleria_local.provision import provision
from galleria_local.stack import LocalStack
from galleria_local.template import Template, load_template, parse_template

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesTypeDef, TransactWriteItemTypeDef

# `make unit` leaves these out: a moto server, roles and functions running as them, seconds in all.
pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  KeyParameter: {Type: String, Default: /app/key}
Conditions:
  HasKey: !Not [!Equals [!Ref KeyParameter, ""]]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: owner, AttributeType: S}
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      GlobalSecondaryIndexes:
        - IndexName: ByOwner
          KeySchema: [{AttributeName: owner, KeyType: HASH}]
          Projection: {ProjectionType: ALL}
  Other:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Bucket:
    Type: AWS::S3::Bucket
  Queue:
    Type: AWS::SQS::Queue
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties: {SecretString: s3cr3t}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: worker/
      Handler: worker.handler
      Runtime: python3.13
      Policies:
        - DynamoDBReadPolicy: {TableName: !Ref Table}
        - SQSSendMessagePolicy: {QueueName: !GetAtt Queue.QueueName}
        - AWSSecretsManagerGetSecretValuePolicy: {SecretArn: !Ref Secret}
        - Statement:
            - {Effect: Allow, Action: [dynamodb:PutItem, dynamodb:UpdateItem], Resource: !GetAtt Table.Arn}
            - {Effect: Allow, Action: [s3:GetObject, s3:PutObject], Resource: !Sub "${Bucket.Arn}/teams/*"}
            - {Effect: Deny, Action: s3:PutObject, Resource: !Sub "${Bucket.Arn}/teams/locked/*"}
            - {Effect: Allow, Action: s3:DeleteObject, Resource: !Sub "${Bucket.Arn}/trash/*"}
            - Effect: Allow
              Action: [s3:PutObject, s3:AbortMultipartUpload]
              Resource: !Sub "${Bucket.Arn}/exports/*"
        - !If
          - HasKey
          - Statement:
              - Effect: Allow
                Action: ssm:GetParameter
                Resource: !Sub "arn:aws:ssm:${AWS::Region}:${AWS::AccountId}:parameter${KeyParameter}"
          - !Ref AWS::NoValue
      Events:
        Jobs: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn}}
"""


# ---------------------------------------------------------------- policy evaluation


def _allow(action: str | list[str], resource: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}]}


@pytest.mark.parametrize(
    ("documents", "permission", "decision"),
    [
        (
            [_allow("s3:GetObject", "arn:aws:s3:::b/teams/*")],
            Permission("s3:GetObject", "arn:aws:s3:::b/teams/t/x"),
            Decision.ALLOWED,
        ),
        (
            [_allow("s3:GetObject", "arn:aws:s3:::b/teams/*")],
            Permission("s3:GetObject", "arn:aws:s3:::b/trash/teams/x"),
            Decision.IMPLICITLY_DENIED,
        ),
        (  # actions match whatever their case, resources only in theirs
            [_allow("S3:getobject", "arn:aws:s3:::b/*")],
            Permission("s3:GetObject", "arn:aws:s3:::b/x"),
            Decision.ALLOWED,
        ),
        (
            [_allow("s3:GetObject", "arn:aws:s3:::B/*")],
            Permission("s3:GetObject", "arn:aws:s3:::b/x"),
            Decision.IMPLICITLY_DENIED,
        ),
        (  # ? is one character; a dot is a dot
            [_allow("sqs:SendMessage*", "arn:aws:sqs:*:*:jobs-?")],
            Permission("sqs:SendMessageBatch", "arn:aws:sqs:us-east-1:1:jobs-a"),
            Decision.ALLOWED,
        ),
        (
            [_allow("s3:GetObject", "arn:aws:s3:::b/x.png")],
            Permission("s3:GetObject", "arn:aws:s3:::b/xapng"),
            Decision.IMPLICITLY_DENIED,
        ),
        (  # an explicit deny wins, in whichever document it is
            [
                _allow("s3:*", "*"),
                {"Statement": {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}},
            ],
            Permission("s3:PutObject", "arn:aws:s3:::b/x"),
            Decision.EXPLICITLY_DENIED,
        ),
        (
            [
                {
                    "Statement": [
                        {"Effect": "Allow", "NotAction": "s3:DeleteObject", "NotResource": "arn:aws:s3:::p/*"}
                    ]
                }
            ],
            Permission("s3:PutObject", "arn:aws:s3:::b/x"),
            Decision.ALLOWED,
        ),
        (
            [{"Statement": [{"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"}]}],
            Permission("s3:DeleteObject", "arn:aws:s3:::b/x"),
            Decision.IMPLICITLY_DENIED,
        ),
        (  # conditions are not evaluated locally: an Allow under one allows nothing
            [_allow("s3:GetObject", "*", Condition={"Bool": {"aws:SecureTransport": "true"}})],
            Permission("s3:GetObject", "arn:aws:s3:::b/x"),
            Decision.IMPLICITLY_DENIED,
        ),
    ],
)
def test_policies_are_evaluated_as_iam_does(
    documents: list[dict[str, Any]], permission: Permission, decision: Decision
) -> None:
    assert decide(documents, permission) is decision


# ---------------------------------------------------------------- roles expanded from the template


@pytest.fixture(scope="class")
def local_aws() -> Iterator[LocalAws]:
    """A moto server per class, not per module as elsewhere: the stack tests below start their own."""
    aws = LocalAws()
    aws.start()
    yield aws
    aws.stop()


def _statements(role: FunctionRole) -> list[dict[str, Any]]:
    return [statement for document in role.policies.values() for statement in document["Statement"]]


def _grants(role: FunctionRole, action: str) -> list[str]:
    """The resources of the statements that allow `action`."""
    found = []
    for statement in _statements(role):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        if action in actions:
            found += resources
    return found


def _registered(resolver: Resolver, logical_id: str) -> bool:
    try:
        resolver.physical(logical_id)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="class")
def galleria(project_root: Path, local_aws: LocalAws) -> tuple[Path, Resolver]:
    template = load_template(project_root / "template.yaml")
    resolver = Resolver(template)
    declare_emulated_resources(template, resolver, "http://127.0.0.1:8000")
    provision(template, resolver, local_aws)
    return project_root / "template.yaml", resolver


class TestTemplateRoles:
    """The roles of template.yaml's functions, resolved against its resources provisioned in moto."""

    def test_sam_policy_templates_become_statements_on_the_local_resources(
        self,
        galleria: tuple[Path, Resolver],
    ) -> None:
        path, resolver = galleria
        roles = function_roles(load_template(path), resolver, ["GenerateApiFunction"])

        role = roles["GenerateApiFunction"]
        table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/galleria-JobsTable"
        assert role.role_id == "GenerateApiFunctionRole"
        assert table in _grants(role, "dynamodb:PutItem")
        assert f"{table}/index/*" in _grants(role, "dynamodb:Query")
        assert _grants(role, "sqs:SendMessage*") == [
            f"arn:aws:sqs:{REGION}:{ACCOUNT}:galleria-GenerationQueue"
        ]
        (secret,) = _grants(role, "secretsmanager:GetSecretValue")
        assert secret == resolver.physical("MediaSigningSecret").ref
        assert "arn:aws:s3:::galleria-mediabucket/tmp/*" in _grants(role, "s3:PutObject")
        assert all(document["Version"] == "2012-10-17" for document in role.policies.values())
        assert set(role.managed_policy_arns) == {
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",  # SAM attaches it for Tracing, even an !If
        }
        assert role.trust_policy["Statement"][0]["Principal"] == {"Service": ["lambda.amazonaws.com"]}

    def test_sqs_workers_get_the_pollers_managed_policy(self, galleria: tuple[Path, Resolver]) -> None:
        path, resolver = galleria
        roles = function_roles(load_template(path), resolver, ["ExportWorkerFunction", "TrashPurgeFunction"])

        sqs_policy = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
        assert sqs_policy in roles["ExportWorkerFunction"].managed_policy_arns
        assert sqs_policy not in roles["TrashPurgeFunction"].managed_policy_arns

    def test_conditional_statements_follow_the_parameters(self, galleria: tuple[Path, Resolver]) -> None:
        path, provisioned = galleria
        template = load_template(path)
        with_key = Resolver(template, {"GeminiApiKeyParameter": "/galleria/gemini-api-key"})
        for logical_id in filter(lambda logical_id: _registered(provisioned, logical_id), template.resources):
            with_key.register(logical_id, provisioned.physical(logical_id))

        without = function_roles(template, provisioned, ["GenerationWorkerFunction"])[
            "GenerationWorkerFunction"
        ]
        keyed = function_roles(template, with_key, ["GenerationWorkerFunction"])["GenerationWorkerFunction"]

        parameter = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/galleria/gemini-api-key"
        assert _grants(without, "ssm:GetParameter") == []
        assert _grants(keyed, "ssm:GetParameter") == [parameter]


def test_a_statement_on_a_resource_not_created_locally_is_left_out(tmp_path: Path) -> None:
    template = _one_function(
        tmp_path,
        """
              Policies:
                - SNSPublishMessagePolicy: {TopicName: !GetAtt Topic.TopicName}
                - Statement: [{Effect: Allow, Action: s3:ListAllMyBuckets, Resource: "*"}]
        """,
        resources="""
          Topic: {Type: AWS::SNS::Topic}
        """,
    )

    role = function_roles(template, Resolver(template), ["Fn"])["Fn"]

    assert _statements(role) == [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]


def test_a_managed_policy_named_in_policies_is_attached_by_its_arn(tmp_path: Path) -> None:
    template = _one_function(tmp_path, "Policies: [AmazonS3ReadOnlyAccess]")

    role = function_roles(template, Resolver(template), ["Fn"])["Fn"]

    assert role.managed_policy_arns == (
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    )


def test_a_role_from_outside_the_template_is_refused(tmp_path: Path) -> None:
    template = _one_function(tmp_path, "Role: arn:aws:iam::123456789012:role/elsewhere")

    with pytest.raises(ExpansionError, match="--no-iam"):
        function_roles(template, Resolver(template), ["Fn"])


# ---------------------------------------------------------------- a session, service by service


class Session(AwsClients):
    """boto3 clients signed with a role session of the small template's Worker."""

    def __init__(self, local_aws: LocalAws, credentials: dict[str, str]) -> None:
        self._session = boto3.session.Session(
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=credentials["AWS_SESSION_TOKEN"],
            region_name=REGION,
        )
        self._endpoint = local_aws.endpoint_url

    def _client(self, service: str) -> BaseClient:
        config = Config(
            signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}
        )
        # The stubs type only a literal service name: AwsClients.client() narrows the result.
        made: BaseClient = self._session.client(service, endpoint_url=self._endpoint, config=config)  # type: ignore[call-overload]
        return made


def refused(call: Callable[..., Any], *args: Any, **kwargs: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value


def code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


@pytest.fixture(scope="class")
def small(tmp_path_factory: pytest.TempPathFactory, local_aws: LocalAws) -> tuple[Resolver, Session]:
    path = tmp_path_factory.mktemp("iam") / "template.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    template = load_template(path)
    resolver = Resolver(template)
    provision(template, resolver, local_aws)
    local_aws.client("ssm").put_parameter(Name="/app/key", Value="k3y", Type="SecureString")
    local_aws.client("ssm").put_parameter(Name="/app/other", Value="no", Type="SecureString")
    roles = function_roles(template, resolver, ["Worker"])
    credentials = role_sessions(local_aws, roles, {"Worker": "galleria-Worker"})["Worker"]
    return resolver, Session(local_aws, credentials)


class TestRoleSession:
    """A session of the small template's Worker role, service by service."""

    def test_a_refusal_names_the_role_session_the_action_and_the_resource(
        self,
        small: tuple[Resolver, Session],
    ) -> None:
        resolver, session = small
        table = resolver.physical("Table").ref

        error = refused(session.client("dynamodb").delete_item, TableName=table, Key={"pk": {"S": "a"}})

        assert code(error) == "AccessDeniedException"
        session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/galleria-WorkerRole/galleria-Worker"
        assert error.response["Error"]["Message"] == (
            f"User: {session_arn} is not authorized to "
            f"perform: dynamodb:DeleteItem on resource: arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table} "
            "because no identity-based policy allows the dynamodb:DeleteItem action"
        )

    def test_dynamodb_is_authorised_per_table_index_and_transaction_item(
        self, small: tuple[Resolver, Session], local_aws: LocalAws
    ) -> None:
        resolver, session = small
        dynamodb = session.client("dynamodb")
        table, other = resolver.physical("Table").ref, resolver.physical("Other").ref
        item = {"pk": {"S": "t1"}, "owner": {"S": "o1"}}

        dynamodb.put_item(TableName=table, Item=item)
        assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "t1"}})["Item"] == item
        by_owner = dynamodb.query(
            TableName=table,
            IndexName="ByOwner",
            KeyConditionExpression="#o = :o",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":o": {"S": "o1"}},
        )
        assert by_owner["Count"] == 1
        assert (
            code(refused(dynamodb.get_item, TableName=other, Key={"pk": {"S": "t1"}}))
            == "AccessDeniedException"
        )
        keys: KeysAndAttributesTypeDef = {"Keys": [{"pk": {"S": "t1"}}]}
        assert dynamodb.batch_get_item(RequestItems={table: keys})["Responses"][table] == [item]
        assert (
            code(refused(dynamodb.batch_get_item, RequestItems={table: keys, other: keys}))
            == "AccessDeniedException"
        )
        assert code(
            refused(dynamodb.batch_write_item, RequestItems={table: [{"PutRequest": {"Item": item}}]})
        )

        # A transaction needs each item's own action: PutItem is granted, DeleteItem is not.
        put: TransactWriteItemTypeDef = {
            "Put": {"TableName": table, "Item": {"pk": {"S": "t2"}, "owner": {"S": "o2"}}}
        }
        delete: TransactWriteItemTypeDef = {"Delete": {"TableName": table, "Key": {"pk": {"S": "t1"}}}}
        dynamodb.transact_write_items(TransactItems=[put])
        error = refused(dynamodb.transact_write_items, TransactItems=[put, delete])
        assert "dynamodb:DeleteItem" in error.response["Error"]["Message"]
        assert local_aws.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "t1"}})["Item"] == item
        assert dynamodb.describe_table(TableName=table)["Table"]["TableName"] == table

    def test_s3_is_authorised_per_key_prefix(
        self, small: tuple[Resolver, Session], local_aws: LocalAws
    ) -> None:
        resolver, session = small
        s3, root = session.client("s3"), local_aws.client("s3")
        bucket = resolver.physical("Bucket").ref

        s3.put_object(Bucket=bucket, Key="teams/t/a.png", Body=b"a")
        assert s3.get_object(Bucket=bucket, Key="teams/t/a.png")["Body"].read() == b"a"
        assert code(refused(s3.put_object, Bucket=bucket, Key="other/a.png", Body=b"a")) == "AccessDenied"
        denied = refused(s3.put_object, Bucket=bucket, Key="teams/locked/a.png", Body=b"a")
        assert "with an explicit deny" in denied.response["Error"]["Message"]
        assert code(refused(s3.list_objects_v2, Bucket=bucket, Prefix="teams/")) == "AccessDenied"
        assert code(refused(s3.head_bucket, Bucket=bucket)) == "403"

        # A copy also reads its source.
        s3.copy_object(
            Bucket=bucket, Key="teams/t/b.png", CopySource={"Bucket": bucket, "Key": "teams/t/a.png"}
        )
        root.put_object(Bucket=bucket, Key="other/c.png", Body=b"c")
        copy_in = {
            "Bucket": bucket,
            "Key": "teams/t/c.png",
            "CopySource": {"Bucket": bucket, "Key": "other/c.png"},
        }
        assert code(refused(s3.copy_object, **copy_in)) == "AccessDenied"

    def test_a_missing_key_is_403_to_a_caller_who_may_not_list_the_bucket(
        self, small: tuple[Resolver, Session], local_aws: LocalAws
    ) -> None:
        resolver, session = small
        bucket = resolver.physical("Bucket").ref

        assert (
            code(refused(session.client("s3").get_object, Bucket=bucket, Key="teams/t/missing"))
            == "AccessDenied"
        )
        assert code(refused(session.client("s3").head_object, Bucket=bucket, Key="teams/t/missing")) == "403"
        assert (
            code(refused(local_aws.client("s3").get_object, Bucket=bucket, Key="teams/t/missing"))
            == "NoSuchKey"
        )

    def test_delete_objects_deletes_only_what_the_role_may_delete(
        self, small: tuple[Resolver, Session], local_aws: LocalAws
    ) -> None:
        resolver, session = small
        s3, root = session.client("s3"), local_aws.client("s3")
        bucket = resolver.physical("Bucket").ref
        for key in ("trash/1", "trash/2", "teams/t/kept"):
            root.put_object(Bucket=bucket, Key=key, Body=b"x")

        deleted = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": "trash/1"}, {"Key": "trash/2"}]}
        )
        kept = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "teams/t/kept"}]})

        assert sorted(entry["Key"] for entry in deleted["Deleted"]) == ["trash/1", "trash/2"]
        assert [(entry["Key"], entry["Code"]) for entry in kept["Errors"]] == [
            ("teams/t/kept", "AccessDenied")
        ]
        assert root.get_object(Bucket=bucket, Key="teams/t/kept")["Body"].read() == b"x"

    def test_a_multipart_upload_is_put_object_and_abort(self, small: tuple[Resolver, Session]) -> None:
        resolver, session = small
        s3 = session.client("s3")
        bucket = resolver.physical("Bucket").ref

        upload = s3.create_multipart_upload(Bucket=bucket, Key="exports/e.zip")["UploadId"]
        etag = s3.upload_part(
            Bucket=bucket, Key="exports/e.zip", UploadId=upload, PartNumber=1, Body=b"z" * 10
        )["ETag"]
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="exports/e.zip",
            UploadId=upload,
            MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]},
        )
        aborted = s3.create_multipart_upload(Bucket=bucket, Key="exports/f.zip")["UploadId"]
        s3.abort_multipart_upload(Bucket=bucket, Key="exports/f.zip", UploadId=aborted)

        assert code(refused(s3.create_multipart_upload, Bucket=bucket, Key="uploads/e.zip")) == "AccessDenied"

    def test_a_presigned_url_is_authorised_as_its_signer(
        self, small: tuple[Resolver, Session], local_aws: LocalAws
    ) -> None:
        resolver, session = small
        s3 = session.client("s3")
        bucket = resolver.physical("Bucket").ref

        def presigned_put(key: str, expires: int = 60) -> str:
            params = {"Bucket": bucket, "Key": key, "ContentType": "image/png"}
            return str(s3.generate_presigned_url("put_object", Params=params, ExpiresIn=expires))

        allowed = httpx.put(
            presigned_put("teams/t/p.png"), content=b"png", headers={"Content-Type": "image/png"}
        )
        outside = httpx.put(
            presigned_put("uploads/p.png"), content=b"png", headers={"Content-Type": "image/png"}
        )
        retyped = httpx.put(
            presigned_put("teams/t/q.png"), content=b"png", headers={"Content-Type": "image/gif"}
        )
        moved = httpx.put(
            presigned_put("teams/t/r.png").replace("/teams/t/r.png", "/teams/t/s.png"),
            content=b"png",
            headers={"Content-Type": "image/png"},
        )
        expiring = presigned_put("teams/t/e.png", expires=1)
        time.sleep(1.5)
        expired = httpx.put(expiring, content=b"png", headers={"Content-Type": "image/png"})
        download = s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": bucket,
                "Key": "teams/t/p.png",
                "ResponseContentDisposition": 'attachment; filename="p.png"',
            },
            ExpiresIn=60,
        )

        assert allowed.status_code == 200
        assert (outside.status_code, "<Code>AccessDenied</Code>" in outside.text) == (403, True)
        assert (retyped.status_code, "<Code>SignatureDoesNotMatch</Code>" in retyped.text) == (403, True)
        assert (moved.status_code, "<Code>SignatureDoesNotMatch</Code>" in moved.text) == (403, True)
        assert (expired.status_code, "Request has expired" in expired.text) == (403, True)
        assert httpx.get(download).content == b"png"
        assert httpx.get(f"{local_aws.endpoint_url}/{bucket}/teams/t/p.png").status_code == 403  # anonymous

    def test_sqs_secrets_and_parameters(self, small: tuple[Resolver, Session], local_aws: LocalAws) -> None:
        resolver, session = small
        sqs, secrets, ssm = session.client("sqs"), session.client("secretsmanager"), session.client("ssm")
        queue = resolver.physical("Queue").ref

        sqs.send_message(QueueUrl=queue, MessageBody="one")
        sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": "2", "MessageBody": "two"}])
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)[
            "Messages"
        ]  # the poller's policy
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=received[0]["ReceiptHandle"])
        handle = received[-1]["ReceiptHandle"]
        assert code(
            refused(sqs.change_message_visibility, QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=0)
        )
        assert code(refused(sqs.purge_queue, QueueUrl=queue)) == "AccessDeniedException"

        secret = resolver.physical("Secret").ref
        assert secrets.get_secret_value(SecretId=secret)["SecretString"] == "s3cr3t"
        assert (
            secrets.get_secret_value(SecretId="galleria-Secret")["SecretString"] == "s3cr3t"
        )  # its ARN's grant
        assert (
            code(refused(secrets.put_secret_value, SecretId=secret, SecretString="x"))
            == "AccessDeniedException"
        )

        assert ssm.get_parameter(Name="/app/key", WithDecryption=True)["Parameter"]["Value"] == "k3y"
        assert (
            code(refused(ssm.get_parameter, Name="/app/other", WithDecryption=True))
            == "AccessDeniedException"
        )

    def test_a_caller_is_authenticated_before_anything(
        self, small: tuple[Resolver, Session], local_aws: LocalAws
    ) -> None:
        resolver, _ = small
        table = resolver.physical("Table").ref

        def dynamodb(key: str, secret: str, token: str | None = None) -> Any:
            return boto3.client(
                "dynamodb",
                endpoint_url=local_aws.endpoint_url,
                region_name=REGION,
                aws_access_key_id=key,
                aws_secret_access_key=secret,
                aws_session_token=token,
                config=Config(retries={"max_attempts": 1}),
            )

        assert dynamodb("testing", "testing").describe_table(TableName=table)  # the root may do anything
        assert (
            code(refused(dynamodb("testing", "wrong").describe_table, TableName=table))
            == "InvalidSignatureException"
        )
        unknown = refused(dynamodb("AKIAUNKNOWN", "x").describe_table, TableName=table)
        assert code(unknown) == "UnrecognizedClientException"
        s3 = boto3.client(
            "s3",
            endpoint_url=local_aws.endpoint_url,
            region_name=REGION,
            aws_access_key_id="AKIAUNKNOWN",
            aws_secret_access_key="x",
            config=Config(retries={"max_attempts": 1}),
        )
        assert code(refused(s3.list_buckets)) == "InvalidAccessKeyId"


def _one_function(tmp_path: Path, properties: str, resources: str = "") -> Template:
    """A template of one function `Fn` with these extra properties (and resources beside it)."""
    text = f"""
Transform: AWS::Serverless-2016-10-31
Resources:
{textwrap.indent(textwrap.dedent(resources).strip(), "  ")}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: fn.handler
      Runtime: python3.13
{textwrap.indent(textwrap.dedent(properties).strip(), "      ")}
"""
    return parse_template(text, tmp_path / "template.yaml")


# ---------------------------------------------------------------- a running stack


STACK_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.13
    Timeout: 10
    CodeUri: code/
    Environment:
      Variables:
        BUCKET: !Ref Files
Resources:
  Files:
    Type: AWS::S3::Bucket
  Granted:
    Type: AWS::Serverless::Function
    Properties:
      Handler: code.handler
      Policies:
        - Statement: [{Effect: Allow, Action: s3:PutObject, Resource: !Sub "${Files.Arn}/*"}]
      Events:
        Put: {Type: HttpApi, Properties: {Path: /granted, Method: POST}}
  Ungranted:
    Type: AWS::Serverless::Function
    Properties:
      Handler: code.handler
      Events:
        Put: {Type: HttpApi, Properties: {Path: /ungranted, Method: POST}}
"""

HANDLER = """
import os

import boto3


def handler(event, context):
    boto3.client("s3").put_object(Bucket=os.environ["BUCKET"], Key=f"{context.function_name}.txt", Body=b"x")
    return {"statusCode": 201, "body": ""}
"""


@pytest.fixture(scope="module")
def stack_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("iam-stack")
    (root / "template.yaml").write_text(STACK_TEMPLATE, encoding="utf-8")
    (root / "code").mkdir()
    (root / "code" / "code.py").write_text(textwrap.dedent(HANDLER), encoding="utf-8")
    return root


@pytest.fixture
def enforced_stack(stack_root: Path) -> Iterator[LocalStack]:
    yield from _running(stack_root, enforce_iam=True)


def _running(stack_root: Path, *, enforce_iam: bool) -> Iterator[LocalStack]:
    stack = LocalStack(
        stack_root / "template.yaml",
        port=0,
        state_dir=stack_root / f".local-stack-{uuid.uuid4().hex[:6]}",
        seed_dev_team=lambda environment: type("Team", (), {"team_id": "team_1", "api_key": "key_1"})(),
        enforce_iam=enforce_iam,
    )
    with stack:
        yield stack


def test_a_function_calls_aws_as_its_role(enforced_stack: LocalStack) -> None:
    granted = httpx.post(f"{enforced_stack.base_url}/granted", timeout=15)
    ungranted = httpx.post(f"{enforced_stack.base_url}/ungranted", timeout=15)

    bucket = enforced_stack.outputs.get("Files") or "galleria-files"
    stored = enforced_stack.aws.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    log = (enforced_stack.log_dir / "Ungranted.log").read_text(encoding="utf-8")
    assert "IAM        enforced" in render_banner(enforced_stack)
    assert granted.status_code == 201
    assert ungranted.status_code == 500
    assert [entry["Key"] for entry in stored] == ["galleria-Granted.txt"]
    assert "AccessDenied" in log
    assert (
        "assumed-role/galleria-UngrantedRole/galleria-Ungranted is not authorized to perform: s3:PutObject"
        in log
    )


def test_without_enforcement_a_function_may_call_anything(stack_root: Path) -> None:
    for stack in _running(stack_root, enforce_iam=False):
        assert httpx.post(f"{stack.base_url}/ungranted", timeout=15).status_code == 201
        assert "IAM        NOT enforced (--no-iam)" in render_banner(stack)


def test_the_cli_enforces_iam_unless_told_not_to() -> None:
    assert parse_args([]).no_iam is False
    assert parse_args(["--no-iam"]).no_iam is True
