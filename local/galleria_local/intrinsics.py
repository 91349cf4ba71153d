"""Resolve CloudFormation intrinsic functions against parameters, pseudo parameters and local resources."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from galleria_local.template import Template

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
STACK_NAME = "galleria-local"

PSEUDO_PARAMETERS: Mapping[str, Any] = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": STACK_NAME,
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
    "AWS::NotificationARNs": [],
}


class _NoValue:
    """`Ref: AWS::NoValue`: the property or list item disappears."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class IntrinsicError(ValueError):
    """An intrinsic the local stack cannot resolve; the message names where it sits in the template."""


@dataclass(frozen=True)
class PhysicalResource:
    """What `Ref` returns for a resource, and the attributes `Fn::GetAtt` can read."""

    ref: Any
    attributes: Mapping[str, Any] = field(default_factory=dict)


class Resolver:
    """Resolves intrinsics; resources become resolvable once `register` gives their physical identity."""

    def __init__(self, template: Template, parameter_overrides: Mapping[str, str] | None = None) -> None:
        self._template = template
        self._parameters = _parameter_values(template, parameter_overrides or {})
        self._resources: dict[str, PhysicalResource] = {}
        self._conditions: dict[str, bool] = {}
        self._functions: Mapping[str, Callable[[Any, str], Any]] = {
            "Ref": self._ref,
            "Condition": self.condition,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::Equals": self._equals,
            "Fn::And": lambda args, where: all(self._truth(arg, where) for arg in args),
            "Fn::Or": lambda args, where: any(self._truth(arg, where) for arg in args),
            "Fn::Not": lambda args, where: not self._truth(args[0], where),
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": lambda arg, where: base64.b64encode(self._text(arg, where).encode()).decode(),
        }

    @property
    def parameters(self) -> Mapping[str, Any]:
        return self._parameters

    def register(self, logical_id: str, physical: PhysicalResource) -> None:
        self._resources[logical_id] = physical

    def physical(self, logical_id: str) -> PhysicalResource:
        return self._resources[logical_id]

    def resolve(self, value: Any, where: str = "template") -> Any:
        """`value` with every intrinsic replaced; `where` names the spot for error messages."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, args),) = value.items()
                # `Condition` is also an ordinary key (IAM statements); only a bare name is the intrinsic.
                if key in self._functions and (key != "Condition" or isinstance(args, str)):
                    return self._functions[key](args, where)
                if key.startswith("Fn::"):
                    raise IntrinsicError(f"{where}: {key} is not supported by the local stack")
            resolved = {key: self.resolve(item, f"{where}.{key}") for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(item, f"{where}[{index}]") for index, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        return value

    def condition(self, name: str, where: str = "template") -> bool:
        if name not in self._conditions:
            if name not in self._template.conditions:
                raise IntrinsicError(f"{where}: condition {name!r} is not defined in Conditions")
            self._conditions[name] = self._truth(self._template.conditions[name], f"Conditions.{name}")
        return self._conditions[name]

    def includes(self, definition: Mapping[str, Any], where: str) -> bool:
        """Whether a resource or output exists: its `Condition`, if it names one, holds."""
        name = definition.get("Condition")
        return name is None or self.condition(name, where)

    # -- intrinsic functions -------------------------------------------------------------------

    def _ref(self, name: str, where: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self._parameters:
            return self._parameters[name]
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name in self._template.parameters:
            raise IntrinsicError(f"{where}: parameter {name!r} has no Default and no override")
        return self._resource(name, where).ref

    def _get_att(self, args: Any, where: str) -> Any:
        if isinstance(args, str):
            args = args.split(".", 1)
        logical_id, attribute = args[0], self.resolve(args[1], where)
        attributes = self._resource(logical_id, where).attributes
        if attribute not in attributes:
            known = ", ".join(sorted(attributes)) or "none"
            raise IntrinsicError(
                f"{where}: Fn::GetAtt {logical_id}.{attribute} is not available locally (known: {known})"
            )
        return attributes[attribute]

    def _sub(self, args: Any, where: str) -> str:
        if isinstance(args, str):
            text, variables = args, {}
        else:
            text, raw_variables = args
            variables = {
                name: self.resolve(value, f"{where}.{name}") for name, value in raw_variables.items()
            }

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):  # `${!Literal}` writes `${Literal}`
                return "${" + name[1:] + "}"
            if name in variables:
                return _scalar_text(variables[name], where)
            if "." in name and not name.startswith("AWS::"):
                return _scalar_text(self._get_att(name.split(".", 1), where), where)
            return _scalar_text(self._ref(name, where), where)

        return _SUB_VARIABLE.sub(substitute, self._text(text, where))

    def _join(self, args: Any, where: str) -> str:
        delimiter, items = args
        values = self.resolve(items, where)
        return str(delimiter).join(_scalar_text(item, where) for item in values)

    def _select(self, args: Any, where: str) -> Any:
        index, items = self.resolve(args[0], where), self.resolve(args[1], where)
        try:
            return items[int(index)]
        except (IndexError, ValueError, TypeError) as exc:
            raise IntrinsicError(f"{where}: Fn::Select index {index!r} is not in {items!r}") from exc

    def _split(self, args: Any, where: str) -> list[str]:
        delimiter, text = args
        return self._text(text, where).split(delimiter)

    def _if(self, args: Any, where: str) -> Any:
        name, when_true, when_false = args
        return self.resolve(when_true if self.condition(name, where) else when_false, where)

    def _equals(self, args: Any, where: str) -> bool:
        left, right = (self.resolve(arg, where) for arg in args)
        return _scalar_text(left, where) == _scalar_text(right, where)

    def _find_in_map(self, args: Any, where: str) -> Any:
        map_name, top_key, second_key = (self.resolve(arg, where) for arg in args[:3])
        try:
            return self._template.mappings[map_name][top_key][second_key]
        except KeyError as exc:
            raise IntrinsicError(
                f"{where}: Fn::FindInMap {map_name}.{top_key}.{second_key} not found"
            ) from exc

    # -- helpers --------------------------------------------------------------------------------

    def _resource(self, logical_id: str, where: str) -> PhysicalResource:
        if logical_id in self._resources:
            return self._resources[logical_id]
        definition = self._template.resources.get(logical_id)
        if definition is None:
            raise IntrinsicError(
                f"{where}: {logical_id!r} is not a parameter, pseudo parameter or resource of the template"
            )
        resource_type = definition.get("Type")
        raise IntrinsicError(f"{where}: resource {logical_id!r} ({resource_type}) is not provisioned locally")

    def _truth(self, value: Any, where: str) -> bool:
        resolved = self.resolve(value, where)
        if not isinstance(resolved, bool):
            raise IntrinsicError(f"{where}: expected a condition, got {resolved!r}")
        return resolved

    def _text(self, value: Any, where: str) -> str:
        return _scalar_text(self.resolve(value, where), where)


def _scalar_text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise IntrinsicError(f"{where}: {value!r} cannot be used as a string")


def _parameter_values(template: Template, overrides: Mapping[str, str]) -> dict[str, Any]:
    unknown = set(overrides) - set(template.parameters)
    if unknown:
        raise IntrinsicError(f"parameter overrides name unknown parameters: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, declaration in template.parameters.items():
        if name in overrides:
            value: Any = overrides[name]
        elif "Default" in declaration:
            value = declaration["Default"]
        else:
            continue  # a Ref to it fails with a clear message; nothing else needs it
        value = _scalar_text(value, f"Parameters.{name}")
        allowed = declaration.get("AllowedValues")
        if allowed is not None and value not in [str(option) for option in allowed]:
            raise IntrinsicError(f"Parameters.{name}: {value!r} is not one of {allowed}")
        if declaration.get("Type") == "CommaDelimitedList":
            values[name] = [item.strip() for item in value.split(",")] if value else []
        else:
            values[name] = value
    return values
