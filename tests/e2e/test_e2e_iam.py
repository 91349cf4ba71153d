"""A grant missing from the template, as the first deploy would find it: the local stack refuses the call
as AWS does, and the caller gets a clean answer with nothing lost.

The stack runs a copy of template.yaml (as JSON, with its folders made absolute) without the generation
API's SQSSendMessagePolicy. A paid generation request is then refused by SQS: the API answers its
documented 500 internal_error, the job ends failed and the credits it took come back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from local_stack import ROOT, RunningStack, _free_port, run_admin, start_stack, stop_stack

from galleria_local.template import load_template

pytestmark = pytest.mark.e2e

CREDITS = 100


def template_without_send_grant(target: Path) -> Path:
    """template.yaml without GenerateApiFunction's SQSSendMessagePolicy, its folders absolute."""
    body: dict[str, Any] = json.loads(json.dumps(load_template(ROOT / "template.yaml").body, default=str))
    for resource in body["Resources"].values():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = str(ROOT / properties[key])
    policies = body["Resources"]["GenerateApiFunction"]["Properties"]["Policies"]
    kept = [policy for policy in policies if "SQSSendMessagePolicy" not in policy]
    assert len(kept) == len(policies) - 1, "GenerateApiFunction has one SQSSendMessagePolicy to take away"
    body["Resources"]["GenerateApiFunction"]["Properties"]["Policies"] = kept
    target.write_text(json.dumps(body, indent=1), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def ungranted_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    tmp = tmp_path_factory.mktemp("iam-stack")
    template = template_without_send_grant(tmp / "template.json")
    stack = start_stack(tmp, _free_port(), args=["--template", str(template)])
    yield stack
    stop_stack(stack)


@pytest.fixture
def team_client(ungranted_stack: RunningStack) -> Iterator[httpx.Client]:
    created = run_admin(
        ungranted_stack, "create-team", "--name", "iam", "--plan", "pro", "--credits", str(CREDITS)
    )
    headers = {"Authorization": f"Bearer {created['apiKey']}"}
    with httpx.Client(base_url=ungranted_stack.base_url, headers=headers, timeout=60) as client:
        yield client


def test_the_banner_says_iam_is_enforced(ungranted_stack: RunningStack) -> None:
    output = ungranted_stack.output_file.read_text(encoding="utf-8")

    assert "IAM        enforced" in output
    assert json.loads(ungranted_stack.state_file.read_text(encoding="utf-8"))["iamEnforced"] is True


def test_a_refused_send_fails_the_job_and_refunds_its_credits(
    ungranted_stack: RunningStack, team_client: httpx.Client
) -> None:
    answer = team_client.post(
        "/api/v1/generate-image", json={"prompt": "a lighthouse at dusk", "model": "local/procedural"}
    )

    body = answer.json()
    assert answer.status_code == 500
    assert body["code"] == "internal_error"
    assert body["error"] == "Internal error"
    assert body["requestId"]

    entries = [
        entry for entry in team_client.get("/api/v1/account/ledger").json()["entries"] if entry.get("jobId")
    ]
    (job_id,) = {entry["jobId"] for entry in entries}
    movements = {entry["kind"]: entry["credits"] for entry in entries}
    job = team_client.get(f"/api/v1/jobs/{job_id}").json()
    assert team_client.get("/api/v1/account").json()["credits"] == CREDITS
    assert movements["charge"] < 0
    assert movements["refund"] == -movements["charge"]
    assert job["status"] == "failed"

    logs = ungranted_stack.state_file.parent / "logs"
    function_log = (logs / "GenerateApiFunction.log").read_text(encoding="utf-8")
    refusal = (
        "assumed-role/galleria-GenerateApiFunctionRole/galleria-GenerateApiFunction is not authorized to "
        "perform: sqs:SendMessage on resource: arn:aws:sqs:us-east-1:123456789012:galleria-GenerationQueue"
    )
    assert "AccessDenied" in function_log
    assert refusal in function_log
    assert refusal in ungranted_stack.output_file.read_text(encoding="utf-8")


def test_the_rest_of_the_api_keeps_its_grants(team_client: httpx.Client) -> None:
    assert team_client.get("/api/v1/gallery").status_code == 200
    assert team_client.get("/api/v1/account").status_code == 200
