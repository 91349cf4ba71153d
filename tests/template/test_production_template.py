"""What a team running Galleria in production expects of the template, checked on the template as
CloudFormation receives it after SAM's transform: logs, access logs, throttling, concurrency limits,
tags, SnapStart behind an alias, an optional custom domain, and stateful resources that outlive the
stack. Also the per-stage deploy settings in samconfig.toml and the checkov baseline."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from galleria_local.iam.roles import expand
from galleria_local.intrinsics import PhysicalResource, Resolver
from galleria_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
API_FUNCTIONS = [
    "GenerateApiFunction",
    "GalleryApiFunction",
    "CollectionsApiFunction",
    "BulkApiFunction",
    "SharesApiFunction",
    "PublicApiFunction",
]
STATEFUL = [
    "ItemsTable",
    "CollectionsTable",
    "SharesTable",
    "JobsTable",
    "AccountsTable",
    "IdempotencyTable",
    "MediaBucket",
    "MediaSigningSecret",
]
# Resource types CloudFormation cannot tag; the stack's tags (samconfig.toml) reach the rest.
UNTAGGABLE = {
    "AWS::ApiGatewayV2::ApiMapping",
    "AWS::Lambda::Alias",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Permission",
    "AWS::Lambda::Version",
    "AWS::SNS::Subscription",
    "AWS::SQS::QueuePolicy",
}
# Taggable, but SAM's event properties cannot pass tags: the stack's tags cover them.
TAGGED_BY_THE_STACK = {"AWS::Lambda::EventSourceMapping", "AWS::Events::Rule"}


@cache
def _expanded() -> Mapping[str, Any]:
    """The template after SAM's transform, as the local stack expands it for the functions' roles."""
    return expand(load_template(TEMPLATE), {})


def _resources(kind: str) -> dict[str, Mapping[str, Any]]:
    return {
        name: resource.get("Properties", {})
        for name, resource in _expanded()["Resources"].items()
        if resource["Type"] == kind
    }


def _tags(properties: Mapping[str, Any]) -> dict[str, Any]:
    tags = properties.get("Tags", {})
    return {tag["Key"]: tag["Value"] for tag in tags} if isinstance(tags, list) else dict(tags)


def test_every_function_logs_json_to_its_own_group_kept_for_the_retention_parameter() -> None:
    groups = _resources("AWS::Logs::LogGroup")
    functions = _resources("AWS::Lambda::Function")
    used = []
    for name, properties in functions.items():
        logging = properties["LoggingConfig"]
        assert logging["LogFormat"] == "JSON", name
        used.append(logging["LogGroup"]["Ref"])
    assert len(set(used)) == len(functions), "one log group per function"
    for group in [*used, "ApiAccessLogGroup"]:
        assert groups[group]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}, group


def test_the_log_retention_parameter_defaults_to_thirty_days() -> None:
    assert load_template(TEMPLATE).parameters["LogRetentionInDays"]["Default"] == 30


def test_the_api_writes_one_json_access_log_line_per_request() -> None:
    (stage,) = _resources("AWS::ApiGatewayV2::Stage").values()
    settings = stage["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    # API Gateway substitutes each $context variable as text: what it writes must be JSON.
    line = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "x", settings["Format"]))
    variables = set(re.findall(r"\$context\.([A-Za-z.]+)", settings["Format"]))
    assert {"requestId", "routeKey", "status", "responseLatency", "integrationErrorMessage"} <= variables
    assert len(line) == len(variables)


def test_every_route_is_throttled_by_the_two_parameters() -> None:
    (stage,) = _resources("AWS::ApiGatewayV2::Stage").values()
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
    }


def test_share_views_cannot_take_every_execution_from_generation() -> None:
    public = _resources("AWS::Lambda::Function")["PublicApiFunction"]
    assert public["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "ReservesPublicConcurrency",
            {"Ref": "PublicFunctionReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert _condition_holds("ReservesPublicConcurrency", {})
    assert not _condition_holds("ReservesPublicConcurrency", {"PublicFunctionReservedConcurrency": "0"})


def test_every_queue_feeds_its_worker_at_a_bounded_concurrency() -> None:
    mappings = _resources("AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 5
    for name, properties in mappings.items():
        assert 2 <= _number(properties["ScalingConfig"]["MaximumConcurrency"]) <= 1000, name
    generation = mappings["GenerationWorkerFunctionGenerationJobs"]["ScalingConfig"]
    assert generation["MaximumConcurrency"] == {"Ref": "GenerationWorkerMaxConcurrency"}


def _number(value: Any) -> int:
    if isinstance(value, dict):
        return int(load_template(TEMPLATE).parameters[value["Ref"]]["Default"])
    return int(value)


def test_every_taggable_resource_carries_the_stage_and_the_service() -> None:
    untagged = []
    for name, resource in _expanded()["Resources"].items():
        kind = resource["Type"]
        if kind in UNTAGGABLE | TAGGED_BY_THE_STACK:
            continue
        properties = resource["Properties"]
        tags = _tags(properties) if kind != "AWS::ApiGatewayV2::Api" else _openapi_tags(properties)
        if tags.get("stage") != {"Ref": "Stage"} or tags.get("service") != "galleria":
            untagged.append(f"{name} ({kind})")
    assert not untagged


def _openapi_tags(api: Mapping[str, Any]) -> dict[str, Any]:
    return {tag["name"]: tag["x-amazon-apigateway-tag-value"] for tag in api["Body"]["tags"]}


@pytest.mark.parametrize("name", STATEFUL)
def test_stateful_resources_outlive_the_stack_and_a_replacement(name: str) -> None:
    resource = load_template(TEMPLATE).resources[name]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"


def test_only_the_stateful_resources_are_retained() -> None:
    retained = {name for name, body in load_template(TEMPLATE).resources.items() if "DeletionPolicy" in body}
    assert retained == set(STATEFUL)


@pytest.mark.parametrize("name", API_FUNCTIONS)
def test_snapstart_applies_to_an_api_functions_published_versions_when_the_parameter_says(name: str) -> None:
    function = _resources("AWS::Lambda::Function")[name]
    assert function["SnapStart"] == {"ApplyOn": {"Fn::If": ["UseSnapStart", "PublishedVersions", "None"]}}
    assert not _condition_holds("UseSnapStart", {})
    assert _condition_holds("UseSnapStart", {"SnapStart": "Enabled"})


@pytest.mark.parametrize("name", API_FUNCTIONS)
def test_an_api_function_is_traced_and_patches_botocore_only_when_api_tracing_is_active(name: str) -> None:
    function = _resources("AWS::Lambda::Function")[name]
    assert function["TracingConfig"] == {"Mode": {"Fn::If": ["TracesApi", "Active", "PassThrough"]}}
    disabled = function["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"]
    assert disabled == {"Fn::If": ["TracesApi", "false", "true"]}
    assert not _condition_holds("TracesApi", {})
    assert _condition_holds("TracesApi", {"ApiTracing": "Active"})


def test_the_workers_are_always_traced() -> None:
    workers = set(_resources("AWS::Lambda::Function")) - set(API_FUNCTIONS)
    for name in workers:
        assert _resources("AWS::Lambda::Function")[name]["TracingConfig"] == {"Mode": "Active"}, name


def test_the_workers_never_snapstart() -> None:
    workers = set(_resources("AWS::Lambda::Function")) - set(API_FUNCTIONS)
    assert len(workers) == 5
    assert all("SnapStart" not in _resources("AWS::Lambda::Function")[name] for name in workers)


def test_every_event_invokes_the_live_alias_not_the_unpublished_function() -> None:
    aliases = _resources("AWS::Lambda::Alias")
    assert {alias["Name"] for alias in aliases.values()} == {"live"}
    assert len(aliases) == len(_resources("AWS::Lambda::Function"))
    for name, mapping in _resources("AWS::Lambda::EventSourceMapping").items():
        assert mapping["FunctionName"]["Ref"] in aliases, name
    for name, permission in _resources("AWS::Lambda::Permission").items():
        assert permission["FunctionName"]["Ref"] in aliases, name
    integrations = list(_integration_uris(_resources("AWS::ApiGatewayV2::Api")["GalleriaApi"]["Body"]))
    assert integrations
    assert all("Aliaslive" in json.dumps(uri) for uri in integrations)


def test_a_change_to_the_layer_or_the_settings_publishes_a_new_version_too() -> None:
    """Without it SAM publishes only on code changes, and the alias would keep serving the old layer."""
    functions = {
        name: body["Properties"]
        for name, body in load_template(TEMPLATE).resources.items()
        if body["Type"] == "AWS::Serverless::Function"
    }
    assert all(properties["AutoPublishAliasAllProperties"] is True for properties in functions.values())


def _integration_uris(document: Mapping[str, Any]) -> Iterator[Any]:
    for operations in document["paths"].values():
        for operation in operations.values():
            yield operation["x-amazon-apigateway-integration"]["uri"]


def test_a_custom_domain_exists_only_with_a_domain_name_and_serves_the_default_stage() -> None:
    resources = load_template(TEMPLATE).resources
    assert resources["CustomDomain"]["Condition"] == "HasCustomDomain"
    mapping = resources["CustomDomainMapping"]
    assert mapping["Condition"] == "HasCustomDomain"
    assert mapping["Properties"]["Stage"] == "$default"
    assert mapping["DependsOn"] in _expanded()["Resources"]  # the stage SAM makes must exist
    assert not _condition_holds("HasCustomDomain", {})
    assert _condition_holds("HasCustomDomain", {"DomainName": "images.example.com"})


def test_the_api_url_output_is_the_custom_domain_when_one_is_set() -> None:
    with_domain = {
        "DomainName": "images.example.com",
        "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    }
    output = load_template(TEMPLATE).outputs["ApiUrl"]["Value"]
    assert _resolver(with_domain).resolve(output) == "https://images.example.com"
    assert _resolver({}).resolve(output) == "https://a1b2c3.execute-api.us-east-1.amazonaws.com"


def test_a_domain_without_a_certificate_is_refused_before_anything_is_made() -> None:
    rule = load_template(TEMPLATE).body["Rules"]["CustomDomainNeedsCertificate"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "DomainName"}, ""]}]}
    assert rule["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "CertificateArn"}, ""]}]}


def test_every_parameter_is_used() -> None:
    text = TEMPLATE.read_text()
    for name in load_template(TEMPLATE).parameters:
        uses = len(re.findall(rf"\b{name}\b", text))
        assert uses >= 2, f"{name} is declared but never used"


# --- samconfig.toml: one deploy section per stage --------------------------------------------------
SAMCONFIG = tomllib.loads((ROOT / "samconfig.toml").read_text())
STAGES = ["dev", "prod"]


def _overrides(stage: str) -> dict[str, str]:
    pairs = shlex.split(SAMCONFIG[stage]["deploy"]["parameters"]["parameter_overrides"])
    return dict(pair.split("=", 1) for pair in pairs)


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_deploys_its_own_stack_with_valid_parameters(stage: str) -> None:
    deploy = SAMCONFIG[stage]["deploy"]["parameters"]
    overrides = _overrides(stage)
    assert overrides["Stage"] == stage
    assert SAMCONFIG[stage]["global"]["parameters"]["stack_name"] == f"galleria-{stage}"
    assert deploy["capabilities"] == "CAPABILITY_IAM"  # SAM makes one role per function, unnamed
    assert deploy["resolve_s3"] is True
    resolver = _resolver(overrides)  # refuses unknown parameters and values outside AllowedValues
    for name, value in overrides.items():
        _assert_within_bounds(name, value)
    assert resolver.resolve({"Ref": "Stage"}) == stage


def _assert_within_bounds(name: str, value: str) -> None:
    declaration = load_template(TEMPLATE).parameters[name]
    if declaration["Type"] == "Number":
        number = float(value)
        assert number >= declaration.get("MinValue", number), name
        assert number <= declaration.get("MaxValue", number), name
    if "AllowedPattern" in declaration:
        assert re.fullmatch(declaration["AllowedPattern"], value), name


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_tags_its_stack_so_every_resource_is_tagged(stage: str) -> None:
    tags = dict(pair.split("=", 1) for pair in shlex.split(SAMCONFIG[stage]["deploy"]["parameters"]["tags"]))
    assert tags == {"stage": stage, "service": "galleria"}


def test_production_shows_its_change_set_before_applying_it() -> None:
    assert SAMCONFIG["prod"]["deploy"]["parameters"]["confirm_changeset"] is True


def test_a_new_accounts_dev_stage_deploys_without_reserving_concurrency() -> None:
    """New AWS accounts start with a concurrency quota too low to reserve any: dev must still deploy."""
    assert not _condition_holds("ReservesPublicConcurrency", _overrides("dev"))
    assert _condition_holds("ReservesPublicConcurrency", _overrides("prod"))


def _resolver(overrides: Mapping[str, str]) -> Resolver:
    resolver = Resolver(load_template(TEMPLATE), overrides)
    resolver.register("GalleriaApi", PhysicalResource(ref="a1b2c3"))
    return resolver


def _condition_holds(name: str, overrides: Mapping[str, str]) -> bool:
    return Resolver(load_template(TEMPLATE), overrides).condition(name)


# --- checkov --------------------------------------------------------------------------------------
def test_every_check_checkov_skips_has_its_reason() -> None:
    config_text = (ROOT / ".checkov.yaml").read_text()
    skipped = yaml.safe_load(config_text)["skip-check"]
    assert skipped
    for check in skipped:
        (line,) = [line for line in config_text.splitlines() if re.search(rf"- {check}\b", line)]
        reason = line.partition("#")[2].strip()
        assert len(reason.split()) >= 5, f"{check} is skipped without a reason"
