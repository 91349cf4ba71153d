"""Least privilege, read from template.yaml: no wildcard actions, no bucket- or account-wide
resources, and every function's grants exactly the documented list below (a new grant must be
added here, on purpose, with the function that needs it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


class _Loader(yaml.SafeLoader):
    pass


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    """!Ref X → "X", !GetAtt X.Arn → "X.Arn", !Sub s → s; !If [c, a, b] → a (the grant when on)."""
    if isinstance(node, yaml.ScalarNode):
        return node.value
    values = loader.construct_sequence(node, deep=True) if isinstance(node, yaml.SequenceNode) else None
    return values[1] if suffix == "If" and values else values


_Loader.add_multi_constructor("!", _intrinsic)


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def grants(properties: dict) -> set[str]:
    """Each policy template as "Template Resource", each statement as "action resource"."""
    found: set[str] = set()
    for policy in properties.get("Policies", []):
        if not isinstance(policy, dict):  # AWS::NoValue
            continue
        for name, argument in policy.items():
            if name == "Statement":
                for statement in argument:
                    assert statement["Effect"] == "Allow"
                    for action in _as_list(statement["Action"]):
                        found.update(f"{action} {resource}" for resource in _as_list(statement["Resource"]))
            else:
                found.add(f"{name} {next(iter(argument.values()))}")
    return found


def _functions() -> dict[str, dict]:
    resources = yaml.load(TEMPLATE.read_text(), Loader=_Loader)["Resources"]
    return {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}


SIGNING = "AWSSecretsManagerGetSecretValuePolicy MediaSigningSecret"
ENDS_SHARES = {f"dynamodb:{a} SharesTable.Arn" for a in ("GetItem", "UpdateItem", "DeleteItem")}
BUCKET = "${MediaBucket.Arn}"
SSM_KEYS = {
    f"ssm:GetParameter arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter${{{p}}}"
    for p in ("GeminiApiKeyParameter", "OpenAIApiKeyParameter", "BflApiKeyParameter")
}

EXPECTED: dict[str, set[str]] = {
    "GenerateApiFunction": {
        SIGNING,
        "DynamoDBCrudPolicy AccountsTable",  # credits, rate windows
        "DynamoDBCrudPolicy IdempotencyTable",
        "DynamoDBCrudPolicy JobsTable",
        "DynamoDBReadPolicy CollectionsTable",
        "DynamoDBReadPolicy ItemsTable",
        "dynamodb:PutItem ItemsTable.Arn",  # edit sessions and their turns
        "dynamodb:UpdateItem ItemsTable.Arn",
        "SQSSendMessagePolicy GenerationQueue.QueueName",
        f"s3:GetObject {BUCKET}/teams/*/items/*/source.*",  # remix of an item made from an upload
        f"s3:GetObject {BUCKET}/tmp/*",
        f"s3:PutObject {BUCKET}/tmp/*",
    },
    "GalleryApiFunction": {
        SIGNING,
        "DynamoDBCrudPolicy AccountsTable",
        "DynamoDBCrudPolicy CollectionsTable",
        "DynamoDBCrudPolicy ItemsTable",
        *ENDS_SHARES,  # permanent delete
        "dynamodb:GetItem JobsTable.Arn",  # uploads' pending state
        "dynamodb:PutItem JobsTable.Arn",
        *{
            f"s3:{a} {BUCKET}/{p}/*"
            for a in ("GetObject", "PutObject", "DeleteObject")
            for p in ("teams", "trash")
        },
        f"s3:GetObject {BUCKET}/tmp/*",
        f"s3:PutObject {BUCKET}/tmp/*",
        f"s3:PutObject {BUCKET}/uploads/*",  # presigned upload URLs
    },
    "CollectionsApiFunction": {
        SIGNING,
        "DynamoDBCrudPolicy CollectionsTable",
        "DynamoDBCrudPolicy ItemsTable",
        "DynamoDBReadPolicy AccountsTable",
        *ENDS_SHARES,  # deleting a collection
    },
    "BulkApiFunction": {
        "DynamoDBCrudPolicy AccountsTable",
        "DynamoDBCrudPolicy CollectionsTable",
        "DynamoDBCrudPolicy IdempotencyTable",
        "DynamoDBCrudPolicy ItemsTable",
        "SQSSendMessagePolicy ExportQueue.QueueName",
        *{f"dynamodb:{a} JobsTable.Arn" for a in ("GetItem", "PutItem", "UpdateItem")},
        *{
            f"s3:{a} {BUCKET}/{p}/*"
            for a in ("GetObject", "PutObject", "DeleteObject")
            for p in ("teams", "trash")
        },
        f"s3:GetObject {BUCKET}/exports/*",
    },
    "SharesApiFunction": {
        "DynamoDBCrudPolicy SharesTable",
        "DynamoDBReadPolicy AccountsTable",
        "DynamoDBReadPolicy CollectionsTable",
        "DynamoDBReadPolicy ItemsTable",
    },
    "PublicApiFunction": {
        SIGNING,
        "DynamoDBReadPolicy AccountsTable",
        "DynamoDBReadPolicy CollectionsTable",
        "DynamoDBReadPolicy ItemsTable",
        "dynamodb:GetItem SharesTable.Arn",  # views and password attempts
        "dynamodb:UpdateItem SharesTable.Arn",
        f"s3:GetObject {BUCKET}/teams/*",
        f"s3:GetObject {BUCKET}/tmp/*",  # metadata-free copies of shared downloads
        f"s3:PutObject {BUCKET}/tmp/*",
    },
    "GenerationWorkerFunction": {
        "DynamoDBCrudPolicy AccountsTable",
        "DynamoDBCrudPolicy CollectionsTable",
        "DynamoDBCrudPolicy ItemsTable",
        "DynamoDBCrudPolicy JobsTable",
        *{f"s3:{a} {BUCKET}/{p}/*" for a in ("GetObject", "PutObject") for p in ("teams", "tmp")},
        "sqs:ChangeMessageVisibility GenerationQueue.Arn",
        *SSM_KEYS,  # only when a key parameter is given
    },
    "GenerationDeadLetterFunction": {
        "DynamoDBCrudPolicy AccountsTable",
        "DynamoDBCrudPolicy JobsTable",
        "DynamoDBReadPolicy ItemsTable",
        "dynamodb:UpdateItem ItemsTable.Arn",  # a failed edit's session turn
    },
    "IngestWorkerFunction": {
        "DynamoDBCrudPolicy AccountsTable",
        "DynamoDBCrudPolicy CollectionsTable",
        "DynamoDBCrudPolicy ItemsTable",
        *ENDS_SHARES,  # a purged item's link
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:UpdateItem JobsTable.Arn",
        f"s3:GetObject {BUCKET}/uploads/*",
        f"s3:DeleteObject {BUCKET}/uploads/*",
        "s3:ListBucket MediaBucket.Arn",  # a missing upload answers 404, not 403
        f"s3:PutObject {BUCKET}/teams/*",
        f"s3:DeleteObject {BUCKET}/trash/*",
    },
    "TrashPurgeFunction": {
        "DynamoDBCrudPolicy AccountsTable",
        "DynamoDBCrudPolicy CollectionsTable",
        "DynamoDBCrudPolicy ItemsTable",
        *ENDS_SHARES,
        f"s3:DeleteObject {BUCKET}/trash/*",
    },
    "ExportWorkerFunction": {
        "DynamoDBReadPolicy ItemsTable",
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:UpdateItem JobsTable.Arn",
        f"s3:GetObject {BUCKET}/teams/*",
        "s3:ListBucket MediaBucket.Arn",
        f"s3:PutObject {BUCKET}/exports/*",
        f"s3:AbortMultipartUpload {BUCKET}/exports/*",
    },
}


def test_every_function_is_listed() -> None:
    assert set(_functions()) == set(EXPECTED)


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_a_function_has_exactly_its_documented_grants(function: str) -> None:
    assert grants(_functions()[function]) == EXPECTED[function]


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_no_wildcard_actions_or_unscoped_resources(function: str) -> None:
    for grant in grants(_functions()[function]):
        action, resource = grant.split(" ", 1)
        assert "*" not in action, grant
        assert resource not in ("*", f"{BUCKET}/*", "arn:aws:s3:::*"), grant
        if resource.startswith(BUCKET):
            prefix = resource.removeprefix(f"{BUCKET}/").split("/")[0]
            assert prefix in ("teams", "trash", "tmp", "uploads", "exports"), grant
