"""The IAM role each function gets when the template deploys, with its policies resolved to local ARNs.

The template is expanded by aws-sam-translator, as CloudFormation's AWS::Serverless transform does, so
SAM's policy templates (DynamoDBCrudPolicy, SQSSendMessagePolicy...), inline Statements, `!If`
conditions and the managed policies SAM attaches (AWSLambdaBasicExecutionRole, AWSXrayWriteOnlyAccess
with Tracing, AWSLambdaSQSQueueExecutionRole with SQS events) become the function's AWS::IAM::Role. The
translator needs no AWS: code folders become S3 URIs as `sam package` would make them, and a managed
policy named in Policies is found in moto's copy of AWS's managed policies.

A statement that names a resource the local stack does not create cannot be resolved: an Allow is left
out with a warning (the function is refused what it could not reach locally anyway), a Deny stops the
start-up (leaving it out would allow more than AWS does).
"""

from __future__ import annotations

import copy
import functools
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from galleria_local.iam.policy import statements
from galleria_local.intrinsics import NO_VALUE, REGION, IntrinsicError, Resolver
from galleria_local.template import Template

logger = logging.getLogger(__name__)

POLICY_VERSION = "2012-10-17"
# Where `sam package` would upload each resource type's local folder.
_PACKAGED_PATHS = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
}
_PACKAGED_GLOBALS = {"Function": "CodeUri", "Api": "DefinitionUri", "HttpApi": "DefinitionUri"}
_PACKAGE_BUCKET = "s3://galleria-local-packages/"


@dataclass(frozen=True)
class FunctionRole:
    """A function's execution role: `policies` maps inline policy name to its resolved document."""

    function_id: str
    role_id: str
    trust_policy: Mapping[str, Any]
    policies: Mapping[str, Mapping[str, Any]]
    managed_policy_arns: tuple[str, ...]


class ExpansionError(ValueError):
    """The template cannot be expanded, or a function's role cannot be known locally."""


def function_roles(
    template: Template, resolver: Resolver, function_ids: Iterable[str]
) -> dict[str, FunctionRole]:
    """The role of each function in `function_ids`, resolved against the provisioned resources."""
    resources = expand(template, resolver.parameters)["Resources"]
    roles = {}
    for function_id in function_ids:
        role_id = _role_id(resources[function_id]["Properties"].get("Role"))
        if role_id is None or resources.get(role_id, {}).get("Type") != "AWS::IAM::Role":
            raise ExpansionError(
                f"{function_id} runs as a role the template does not declare, so its policies are unknown "
                "locally: start the local stack with --no-iam"
            )
        roles[function_id] = _read_role(resolver, function_id, role_id, resources[role_id]["Properties"])
    return roles


def expand(template: Template, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The template as CloudFormation sees it after the AWS::Serverless transform."""
    import boto3
    from samtranslator.public.exceptions import InvalidDocumentException
    from samtranslator.public.parser import Parser
    from samtranslator.public.translator import Translator

    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=REGION))
    try:
        return dict(
            translator.translate(
                _packaged(template.body), dict(parameters), get_managed_policy_map=_aws_managed_policy_arns
            )
        )
    except InvalidDocumentException as exc:
        causes = "; ".join(cause.message for cause in exc.causes)
        raise ExpansionError(f"{template.path}: the SAM transform refuses it: {causes}") from exc


def _packaged(body: Mapping[str, Any]) -> dict[str, Any]:
    """A copy whose local folders are S3 URIs, as after `sam package` (the translator requires them)."""
    packaged = copy.deepcopy(dict(body))
    sections = [
        (resource.get("Properties") or {}, _PACKAGED_PATHS.get(resource.get("Type", "")))
        for resource in packaged["Resources"].values()
    ]
    sections += [
        (packaged.get("Globals", {}).get(section) or {}, key) for section, key in _PACKAGED_GLOBALS.items()
    ]
    for properties, key in sections:
        if key and isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
            properties[key] = _PACKAGE_BUCKET + properties[key].strip("/")
    return packaged


@functools.cache
def _aws_managed_policy_arns() -> dict[str, str]:
    """Managed policy name -> ARN, from moto's copy of AWS's managed policies (read only when a function
    names one in Policies)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    policies = json.loads(aws_managed_policies_data)
    return {name: f"arn:aws:iam::aws:policy{policy['Path']}{name}" for name, policy in policies.items()}


def _role_id(role: Any) -> str | None:
    """The logical id behind `Fn::GetAtt: [Role, Arn]` (SAM's generated role, or one the template has)."""
    if isinstance(role, dict) and list(role) == ["Fn::GetAtt"]:
        target = role["Fn::GetAtt"]
        logical_id, attribute = target if isinstance(target, list) else target.split(".", 1)
        return str(logical_id) if attribute == "Arn" else None
    return None


def _read_role(
    resolver: Resolver, function_id: str, role_id: str, properties: Mapping[str, Any]
) -> FunctionRole:
    where = f"{role_id} (the role of {function_id})"
    policies = {}
    for index, policy in enumerate(properties.get("Policies") or []):
        chosen = _branch(resolver, policy, f"{where}.Policies[{index}]")
        if chosen is NO_VALUE:
            continue
        name = str(resolver.resolve(chosen["PolicyName"], f"{where}.Policies[{index}].PolicyName"))
        policies[name] = _document(resolver, chosen["PolicyDocument"], f"{where}.Policies.{name}")
    managed = []
    for index, arn in enumerate(properties.get("ManagedPolicyArns") or []):
        resolved = _resolve_or_skip(resolver, arn, f"{where}.ManagedPolicyArns[{index}]", deny=False)
        if resolved is not None:
            managed.append(str(resolved))
    return FunctionRole(
        function_id=function_id,
        role_id=role_id,
        trust_policy=resolver.resolve(
            properties["AssumeRolePolicyDocument"], f"{where}.AssumeRolePolicyDocument"
        ),
        policies=policies,
        managed_policy_arns=tuple(managed),
    )


def _document(resolver: Resolver, document: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The policy document resolved statement by statement; moto insists on the Version that CloudFormation
    lets a template leave out."""
    resolved_statements = []
    for index, statement in enumerate(statements([document])):
        deny = isinstance(statement, dict) and statement.get("Effect") == "Deny"
        resolved = _resolve_or_skip(resolver, statement, f"{where}.Statement[{index}]", deny=deny)
        if resolved is not None:
            resolved_statements.append(resolved)
    return {**document, "Version": document.get("Version", POLICY_VERSION), "Statement": resolved_statements}


def _resolve_or_skip(resolver: Resolver, value: Any, where: str, *, deny: bool) -> Any:
    """`value` resolved; None when it is absent (`AWS::NoValue`) or, unless it denies, unresolvable."""
    try:
        resolved = resolver.resolve(value, where)
    except IntrinsicError as exc:
        if deny:
            raise ExpansionError(f"{where}: a Deny the local stack cannot resolve: {exc}") from exc
        logger.warning("%s is left out locally, so what it allows is refused: %s", where, exc)
        return None
    return None if resolved is NO_VALUE else resolved


def _branch(resolver: Resolver, value: Any, where: str) -> Any:
    """`value` with its `Fn::If`s chosen (conditions only: the branch itself is resolved later)."""
    if isinstance(value, dict) and list(value) == ["Fn::If"]:
        condition, when_true, when_false = value["Fn::If"]
        return _branch(resolver, when_true if resolver.condition(condition, where) else when_false, where)
    if value == {"Ref": "AWS::NoValue"}:
        return NO_VALUE
    return value
