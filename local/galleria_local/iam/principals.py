"""Each function's role created in the local AWS, and the role session its execution environments run as.

As in Lambda, a function's code gets the temporary credentials of a session of its execution role
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, session name = the function's name), so
an AWS error names `assumed-role/<role>/<function>` as it would in the cloud.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from galleria_local.iam.roles import FunctionRole
from galleria_local.local_aws import AwsClients
from galleria_local.provision import local_name

if TYPE_CHECKING:  # the stubs are a development dependency, only for the type checker
    from mypy_boto3_iam import IAMClient


def role_sessions(
    aws: AwsClients, roles: Mapping[str, FunctionRole], function_names: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """Create each role (inline policies put, managed policies attached; once when functions share one)
    and start a session of it per function; returns function logical id -> the session's credential
    variables. moto does not expire sessions, so the local stack need not renew them as Lambda does."""
    iam, sts = aws.client("iam"), aws.client("sts")
    arns = {
        role.role_id: _create_role(iam, role)
        for role in {role.role_id: role for role in roles.values()}.values()
    }
    sessions = {}
    for function_id, role in roles.items():
        credentials = sts.assume_role(
            RoleArn=arns[role.role_id], RoleSessionName=function_names[function_id]
        )["Credentials"]
        sessions[function_id] = {
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
        }
    return sessions


def _create_role(iam: IAMClient, role: FunctionRole) -> str:
    name = local_name(role.role_id)
    created = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(role.trust_policy))
    arn = created["Role"]["Arn"]
    for policy_name, document in role.policies.items():
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
    for policy_arn in role.managed_policy_arns:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    return arn
