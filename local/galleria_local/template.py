"""Read template.yaml the way CloudFormation does: short tags become the long intrinsic forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Tags written as `!Ref x` / `!Condition x` keep their name; every other short tag is a `Fn::` function.
_BARE_TAGS = frozenset({"Ref", "Condition"})


class CfnLoader(yaml.SafeLoader):
    """A SafeLoader that also reads CloudFormation's short tags (`!Ref`, `!GetAtt`, `!Sub`, ...)."""


def _construct_intrinsic(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "GetAtt" and isinstance(value, str):
        # `!GetAtt Queue.Arn` is the short form of `Fn::GetAtt: [Queue, Arn]`.
        value = value.split(".", 1)
    key = tag_suffix if tag_suffix in _BARE_TAGS else f"Fn::{tag_suffix}"
    return {key: value}


CfnLoader.add_multi_constructor("!", _construct_intrinsic)


@dataclass(frozen=True)
class Template:
    """A parsed template and the folder its relative paths (CodeUri, ContentUri) start from."""

    path: Path
    body: Mapping[str, Any]

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def parameters(self) -> Mapping[str, Mapping[str, Any]]:
        return self.body.get("Parameters") or {}

    @property
    def mappings(self) -> Mapping[str, Any]:
        return self.body.get("Mappings") or {}

    @property
    def conditions(self) -> Mapping[str, Any]:
        return self.body.get("Conditions") or {}

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        return self.body.get("Resources") or {}

    @property
    def outputs(self) -> Mapping[str, Mapping[str, Any]]:
        return self.body.get("Outputs") or {}

    def globals_for(self, section: str) -> Mapping[str, Any]:
        """SAM's `Globals.<section>` (Function, HttpApi, ...): defaults merged into each resource."""
        return (self.body.get("Globals") or {}).get(section) or {}

    def resources_of_type(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        return {
            logical_id: definition
            for logical_id, definition in self.resources.items()
            if definition.get("Type") == resource_type
        }

    def resolve_path(self, relative: str) -> Path:
        """A path from the template (CodeUri, ContentUri), made absolute against the template's folder."""
        return (self.base_dir / relative).resolve()


def parse_template(text: str, path: Path) -> Template:
    body = yaml.load(text, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader
    if not isinstance(body, dict) or "Resources" not in body:
        raise ValueError(f"{path} is not a CloudFormation template: it has no Resources section")
    return Template(path=path.resolve(), body=body)


def load_template(path: Path) -> Template:
    return parse_template(path.read_text(encoding="utf-8"), path)
