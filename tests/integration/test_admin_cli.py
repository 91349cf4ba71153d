"""galleria-admin against a deployed stack: tables found through the stack's Outputs."""

from __future__ import annotations

import json

import boto3
import pytest

from galleria_cli.__main__ import main

DEPLOYED_TEMPLATE = {
    "Resources": {
        "AccountsTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
            },
        }
    },
    "Outputs": {"AccountsTableName": {"Value": {"Ref": "AccountsTable"}}},
}


@pytest.fixture
def deployed_stack(stack) -> str:
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName="galleria-prod", TemplateBody=json.dumps(DEPLOYED_TEMPLATE)
    )
    return "galleria-prod"


def _run(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_create_team_issue_and_revoke_keys_in_a_deployed_stack(deployed_stack, capsys) -> None:
    created = _run(
        capsys, "--stack", deployed_stack, "create-team", "--name", "acme", "--plan", "pro", "--credits", "50"
    )
    assert created["apiKey"].startswith("glr_")

    team = _run(capsys, "--stack", deployed_stack, "show-team", "--team", created["teamId"])
    assert team["plan"] == "pro" and team["credits"] == 50

    assert (
        _run(capsys, "--stack", deployed_stack, "add-credits", "--team", created["teamId"], "--amount", "25")[
            "credits"
        ]
        == 75
    )
    second = _run(capsys, "--stack", deployed_stack, "issue-key", "--team", created["teamId"])
    _run(
        capsys,
        "--stack",
        deployed_stack,
        "revoke-key",
        "--team",
        created["teamId"],
        "--key-id",
        created["keyId"],
    )

    keys = _run(capsys, "--stack", deployed_stack, "list-keys", "--team", created["teamId"])["keys"]
    revoked = {k["key_id"]: k["revoked_at"] is not None for k in keys}
    assert revoked == {created["keyId"]: True, second["keyId"]: False}
    assert all("key_hash" not in k for k in keys)


def test_unknown_team_is_a_clear_error(deployed_stack, capsys) -> None:
    assert main(["--stack", deployed_stack, "add-credits", "--team", "team_missing", "--amount", "5"]) == 1
    assert "not found" in capsys.readouterr().err
