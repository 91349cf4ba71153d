"""Lambda events as AWS sends them, and two ways to hold ours against them.

The samples are SAM CLI's (`sam local generate-event`, in tests/fixtures/aws_events/; its README says
how they were made). Ours are compared with them by structure — keys, nesting and value types, not
values — and through Powertools' event classes: whatever a class reads from a sample must read from
ours too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.data_classes.common import DictWrapper

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "aws_events"

# Each sample file and the `sam local generate-event` arguments that write it (every value left default).
SAMPLE_COMMANDS: dict[str, tuple[str, ...]] = {
    "apigateway_http_api_proxy.json": ("apigateway", "http-api-proxy"),
    "sqs_receive_message.json": ("sqs", "receive-message"),
    "s3_put.json": ("s3", "put"),
    "s3_delete.json": ("s3", "delete"),
    "cloudwatch_scheduled_event.json": ("cloudwatch", "scheduled-event"),
}

# Maps whose keys are data (header names, parameters), not structure: only their values' shape counts.
FREE_FORM_MAPS = frozenset(
    {"headers", "queryStringParameters", "pathParameters", "stageVariables", "messageAttributes", "claims"}
)

_READ_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def sample(name: str) -> dict[str, Any]:
    """A fresh copy of one sample (callers adjust their copy)."""
    return json.loads((SAMPLES_DIR / name).read_text(encoding="utf-8"))


def structure_differences(ours: Any, aws: Any, path: str = "") -> list[str]:
    """Where `ours` differs from `aws` in keys, nesting or value types; values themselves may differ.

    Each difference reads `<path>: missing` (AWS has it, ours not), `<path>: not sent by AWS`, or
    `<path>: <our type> where AWS has <its type>`. A list's items are each compared with AWS's first.
    """
    if isinstance(aws, dict) and isinstance(ours, dict):
        if path.rsplit(".", 1)[-1] in FREE_FORM_MAPS:
            return _free_form_differences(ours, aws, path)
        differences = [f"{_join(path, key)}: missing" for key in aws if key not in ours]
        differences += [f"{_join(path, key)}: not sent by AWS" for key in ours if key not in aws]
        for key in aws.keys() & ours.keys():
            differences += structure_differences(ours[key], aws[key], _join(path, key))
        return sorted(differences)
    if isinstance(aws, list) and isinstance(ours, list):
        if not aws:
            return []
        return sorted({diff for item in ours for diff in structure_differences(item, aws[0], f"{path}[]")})
    if type(ours) is not type(aws):
        return [f"{path}: {type(ours).__name__} where AWS has {type(aws).__name__}"]
    return []


def _free_form_differences(ours: dict[str, Any], aws: dict[str, Any], path: str) -> list[str]:
    if not aws:
        return []
    model = next(iter(aws.values()))
    return sorted({diff for key, item in ours.items() for diff in structure_differences(item, model, path)})


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def readable_properties(wrapper: DictWrapper, prefix: str = "") -> dict[str, str]:
    """Every public property of a Powertools event class that reads without an error, nested event
    classes followed (an iterator of records: its first one), with the type name of what it reads."""
    readable: dict[str, str] = {}
    for name in _property_names(type(wrapper)):
        try:
            value = getattr(wrapper, name)
            if isinstance(value, Iterator):
                value = next(value, None)
        except _READ_ERRORS:
            continue
        readable[prefix + name] = type(value).__name__
        if isinstance(value, DictWrapper):
            readable.update(readable_properties(value, f"{prefix}{name}."))
    return readable


def unreadable_on_ours(ours: DictWrapper, aws: DictWrapper) -> list[str]:
    """Properties that read from AWS's sample but not from ours, or read as another type.

    A property that reads None from the sample asks nothing of ours.
    """
    ours_readable = readable_properties(ours)
    return sorted(
        path
        for path, kind in readable_properties(aws).items()
        if kind != "NoneType" and ours_readable.get(path) != kind
    )


def _property_names(cls: type) -> list[str]:
    return sorted(
        {
            name
            for klass in cls.__mro__
            for name, attribute in vars(klass).items()
            if isinstance(attribute, property | cached_property) and not name.startswith("_")
        }
    )
