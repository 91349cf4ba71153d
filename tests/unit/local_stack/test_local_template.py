"""Reading template.yaml's short tags and resolving intrinsics against local resources."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from galleria_local.emulated import declare_emulated_resources, resolve_outputs
from galleria_local.intrinsics import IntrinsicError, PhysicalResource, Resolver
from galleria_local.template import Template, load_template, parse_template

SNIPPET = """
Parameters:
  Stage: {Type: String, Default: prod}
  Level: {Type: String, Default: INFO, AllowedValues: [DEBUG, INFO]}
  Names: {Type: CommaDelimitedList, Default: "a,b,c"}
  Required: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDebug: !Equals [!Ref Level, DEBUG]
  ProdOrDebug: !Or [!Condition IsProd, !Condition IsDebug]
Mappings:
  Sizes: {prod: {Memory: 1024}, dev: {Memory: 512}}
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Table: {Type: AWS::DynamoDB::Table}
  Alarm: {Type: AWS::CloudWatch::Alarm}
  Values:
    Type: Custom::Values
    Properties:
      Ref: !Ref Queue
      GetAttShort: !GetAtt Queue.Arn
      GetAttList: !GetAtt [Queue, QueueName]
      Sub: !Sub arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Queue.QueueName}/${Stage}
      SubList: !Sub ["${Name}-${Table}-${!Literal}", {Name: !Select [1, !Ref Names]}]
      Join: !Join ["/", [!Ref Stage, !GetAtt Queue.QueueName, 7]]
      If: !If [IsProd, big, small]
      Or: !If [ProdOrDebug, yes-one, no-one]
      Split: !Select [2, !Split [",", "x,y,z"]]
      Map: !FindInMap [Sizes, !Ref Stage, Memory]
      Dropped: !If [IsDebug, kept, !Ref AWS::NoValue]
      List: [one, !If [IsDebug, two, !Ref AWS::NoValue], three]
      Base64: !Base64 hi
      Statement: {Effect: Allow, Condition: {StringEquals: {a: b}}}
"""


def _resolver(overrides: dict[str, str] | None = None) -> tuple[Template, Resolver]:
    template = parse_template(SNIPPET, Path("template.yaml"))
    resolver = Resolver(template, overrides)
    queue_url = "http://127.0.0.1:1/123456789012/galleria-Queue"
    attributes = {"Arn": "arn:aws:sqs:us-east-1:123456789012:galleria-Queue", "QueueName": "galleria-Queue"}
    resolver.register("Queue", PhysicalResource(ref=queue_url, attributes=attributes))
    resolver.register("Table", PhysicalResource(ref="galleria-Table", attributes={"Arn": "arn:table"}))
    return template, resolver


def test_short_tags_load_as_the_long_intrinsic_forms() -> None:
    template = parse_template(SNIPPET, Path("template.yaml"))

    values = template.resources["Values"]["Properties"]

    assert values["Ref"] == {"Ref": "Queue"}
    assert values["GetAttShort"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert values["GetAttList"] == {"Fn::GetAtt": ["Queue", "QueueName"]}
    assert values["SubList"]["Fn::Sub"][1] == {"Name": {"Fn::Select": [1, {"Ref": "Names"}]}}
    assert template.conditions["ProdOrDebug"] == {
        "Fn::Or": [{"Condition": "IsProd"}, {"Condition": "IsDebug"}]
    }


def test_intrinsics_resolve_against_parameters_pseudo_parameters_and_resources() -> None:
    template, resolver = _resolver()

    values = resolver.resolve(template.resources["Values"]["Properties"])

    assert values == {
        "Ref": "http://127.0.0.1:1/123456789012/galleria-Queue",
        "GetAttShort": "arn:aws:sqs:us-east-1:123456789012:galleria-Queue",
        "GetAttList": "galleria-Queue",
        "Sub": "arn:aws:sqs:us-east-1:123456789012:galleria-Queue/prod",
        "SubList": "b-galleria-Table-${Literal}",
        "Join": "prod/galleria-Queue/7",
        "If": "big",
        "Or": "yes-one",
        "Split": "z",
        "Map": 1024,
        "List": ["one", "three"],
        "Base64": "aGk=",
        "Statement": {"Effect": "Allow", "Condition": {"StringEquals": {"a": "b"}}},
    }


def test_parameter_overrides_replace_defaults_and_are_checked() -> None:
    template, resolver = _resolver({"Stage": "dev", "Level": "DEBUG"})

    values = resolver.resolve(template.resources["Values"]["Properties"])

    assert values["If"] == "small"
    assert values["Dropped"] == "kept"
    assert values["Map"] == 512
    with pytest.raises(IntrinsicError, match="not one of"):
        _resolver({"Level": "LOUD"})
    with pytest.raises(IntrinsicError, match="unknown parameters: Nope"):
        _resolver({"Nope": "x"})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Ref": "Alarm"}, r"resource 'Alarm' \(AWS::CloudWatch::Alarm\) is not provisioned locally"),
        ({"Ref": "Missing"}, "'Missing' is not a parameter, pseudo parameter or resource"),
        ({"Ref": "Required"}, "parameter 'Required' has no Default"),
        ({"Fn::GetAtt": ["Queue", "Nope"]}, r"Queue.Nope is not available locally \(known: Arn, QueueName\)"),
        ({"Fn::Sub": "${Queue.Nope}"}, "Queue.Nope is not available locally"),
        ({"Fn::ImportValue": "x"}, "Fn::ImportValue is not supported"),
        ({"Fn::If": ["Unknown", 1, 2]}, "condition 'Unknown' is not defined"),
    ],
)
def test_unresolvable_intrinsics_fail_with_the_place_they_sit(value: object, message: str) -> None:
    _, resolver = _resolver()

    with pytest.raises(IntrinsicError, match=message) as failure:
        resolver.resolve({"Outer": value}, "Resources.Thing.Properties")

    assert str(failure.value).startswith("Resources.Thing.Properties.Outer")


def test_the_project_template_resolves_its_outputs_with_the_local_api_url(project_root: Path) -> None:
    template = load_template(project_root / "template.yaml")
    resolver = Resolver(template)
    declare_emulated_resources(template, resolver, "http://127.0.0.1:8000")
    for logical_id, definition in template.resources.items():
        if definition["Type"] in {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue"}:
            resolver.register(logical_id, PhysicalResource(ref=f"physical-{logical_id}"))
        if definition["Type"] == "AWS::SecretsManager::Secret":
            resolver.register(logical_id, PhysicalResource(ref=f"arn:secret:{logical_id}"))

    outputs = resolve_outputs(template, resolver, "http://127.0.0.1:8000")

    assert outputs["ApiUrl"] == "http://127.0.0.1:8000"
    unconditional = {name for name, output in template.outputs.items() if "Condition" not in output}
    assert set(outputs) == unconditional
    assert "CustomDomainTarget" not in outputs  # no DomainName locally


def test_a_file_without_resources_is_not_a_template(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent("Description: nothing\n"), encoding="utf-8")

    with pytest.raises(ValueError, match="no Resources section"):
        load_template(path)
