"""Conversion between plain Python values and DynamoDB's attribute-value format."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import UpdateItemOutputTypeDef

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo(v) for v in value]
    return value


def serialize(record: dict[str, Any]) -> dict[str, Any]:
    """Plain dict → attribute values. None values are dropped (DynamoDB stores absence)."""
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in record.items() if v is not None}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def value(v: Any) -> dict[str, Any]:
    """One attribute value, for expression values."""
    return cast("dict[str, Any]", _serializer.serialize(_to_dynamo(v)))


def update_if(client: DynamoDBClient, **request: Any) -> UpdateItemOutputTypeDef | None:
    """UpdateItem with a ConditionExpression: the response, or None when the condition failed."""
    try:
        return client.update_item(**request)
    except client.exceptions.ConditionalCheckFailedException:
        return None
