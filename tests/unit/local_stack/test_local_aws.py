"""The local AWS keeps DynamoDB's atomicity under concurrent requests."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from galleria_local.local_aws import LocalAws

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, WriteRequestTypeDef

# `make unit` leaves these out: a moto server under concurrent transactions, seconds in all.
pytestmark = pytest.mark.slow


def test_a_failed_transaction_never_undoes_a_concurrent_write(local_aws: LocalAws) -> None:
    dynamodb = local_aws.client("dynamodb")
    table = f"counters-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "counter"}, "n": {"N": "0"}})
    # moto copies the whole table to roll a transaction back; a fuller table widens that window.
    for start in range(0, 500, 25):
        filler: list[WriteRequestTypeDef] = [
            {"PutRequest": {"Item": {"pk": {"S": f"filler-{n}"}}}} for n in range(start, start + 25)
        ]
        dynamodb.batch_write_item(RequestItems={table: filler})

    def write(attempt: int) -> bool:
        """Even attempts add one to the counter; odd ones fail a condition and must change nothing."""
        increment: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": "counter"}},
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
        doomed: TransactWriteItemTypeDef = {
            "ConditionCheck": {
                "TableName": table,
                "Key": {"pk": {"S": "missing"}},
                "ConditionExpression": "attribute_exists(pk)",
            }
        }
        try:
            dynamodb.transact_write_items(TransactItems=[increment, doomed] if attempt % 2 else [increment])
        except ClientError:
            return False
        return True

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(write, range(80)))

    counter = dynamodb.get_item(TableName=table, Key={"pk": {"S": "counter"}})["Item"]["n"]["N"]
    assert results.count(True) == 40
    assert counter == "40"
