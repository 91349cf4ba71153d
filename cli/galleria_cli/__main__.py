"""galleria-admin — team and key administration against the local stack or a deployed stack.

    galleria-admin [--stack local | --stack NAME] create-team --name acme --plan pro --credits 1000
    galleria-admin issue-key --team team_…
    galleria-admin revoke-key --team team_… --key-id key_…
    galleria-admin list-keys --team team_…
    galleria-admin add-credits --team team_… --amount 500
    galleria-admin show-team --team team_…

``--stack local`` (the default) reads the running local stack's state file; any other value
is a CloudFormation stack name whose Outputs name the tables (AWS credentials and region
from the usual AWS environment).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from galleria import aws
from galleria.accounts import admin
from galleria.accounts.repository import AccountsRepository
from galleria.domain.teams import Plan
from galleria.errors import GalleriaError

DEFAULT_STATE_FILE = Path(".local-stack/stack.json")


def stack_outputs(stack: str, state_file: Path) -> dict[str, str]:
    """The template Outputs of the target stack; for the local stack also points boto3 at it."""
    if stack == "local":
        if not state_file.exists():
            raise SystemExit(f"No local stack state at {state_file}: start it with `make run` first")
        from galleria_local.intrinsics import REGION  # imported here: moto loads only for the local stack
        from galleria_local.local_aws import CREDENTIALS

        state = json.loads(state_file.read_text())
        # The local account's root credentials, whatever AWS keys the shell holds: the local AWS
        # enforces IAM and knows no other.
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.update(CREDENTIALS, AWS_DEFAULT_REGION=REGION)
        os.environ["AWS_ENDPOINT_URL"] = state["awsEndpoint"]
        aws.reset_clients()
        return dict(state["outputs"])
    response = aws.client("cloudformation").describe_stacks(StackName=stack)
    return {o["OutputKey"]: o["OutputValue"] for o in response["Stacks"][0].get("Outputs", [])}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="galleria-admin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="local", help="'local' or a CloudFormation stack name")
    parser.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE, help="local stack state file")
    commands = parser.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create-team", help="create a team and issue its first key")
    create.add_argument("--name", required=True)
    create.add_argument("--plan", choices=[p.value for p in Plan], default=Plan.FREE.value)
    create.add_argument("--credits", type=int, default=0)

    for name, text in (
        ("issue-key", "issue another key"),
        ("list-keys", "list a team's keys"),
        ("show-team", "plan, credits, usage"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--team", required=True)

    revoke = commands.add_parser("revoke-key", help="revoke a key (it stops working at once)")
    revoke.add_argument("--team", required=True)
    revoke.add_argument("--key-id", required=True)

    credits = commands.add_parser("add-credits", help="add (or with a negative amount, remove) credits")
    credits.add_argument("--team", required=True)
    credits.add_argument("--amount", type=int, required=True)
    return parser


def run(args: argparse.Namespace) -> dict[str, object]:
    outputs = stack_outputs(args.stack, args.state_file)
    repo = AccountsRepository(table_name=outputs["AccountsTableName"])
    if args.command == "create-team":
        team = admin.create_team(repo, name=args.name, plan=Plan(args.plan), credits=args.credits)
        issued = admin.issue_key(repo, team.id)
        return {"teamId": team.id, "keyId": issued.key_id, "apiKey": issued.api_key}
    if args.command == "issue-key":
        issued = admin.issue_key(repo, args.team)
        return {"teamId": args.team, "keyId": issued.key_id, "apiKey": issued.api_key}
    if args.command == "revoke-key":
        key = admin.revoke_key(repo, args.team, args.key_id)
        return {"teamId": args.team, "keyId": key.key_id, "revoked": True}
    if args.command == "list-keys":
        keys = repo.list_keys(args.team)
        return {
            "keys": [k.model_dump(include={"key_id", "prefix", "created_at", "revoked_at"}) for k in keys]
        }
    if args.command == "add-credits":
        return {"teamId": args.team, "credits": repo.add_credits(args.team, args.amount)}
    return repo.get_team(args.team).model_dump()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        print(json.dumps(run(args), indent=2))
    except GalleriaError as error:
        print(f"galleria-admin: {error.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
