"""Transactions: a conflict with a concurrent transaction is retried, a failed condition is not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pytest

from galleria import backoff, transactions
from galleria.transactions import TransactionCancelled, transact_write

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class Cancelled(Exception):
    def __init__(self, codes: list[str]) -> None:
        super().__init__("cancelled")
        self.response = {"CancellationReasons": [{"Code": code} for code in codes]}


class FakeClient:
    class exceptions:
        TransactionCanceledException = Cancelled

    def __init__(self, outcomes: list[list[str] | None]) -> None:
        self.outcomes = outcomes
        self.calls = 0

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> None:
        outcome = self.outcomes[self.calls]
        self.calls += 1
        if outcome is not None:
            raise Cancelled(outcome)

    @property
    def as_dynamodb(self) -> DynamoDBClient:
        """The fake where a DynamoDB client is taken: it has what transact_write calls."""
        return cast("DynamoDBClient", self)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backoff.time, "sleep", lambda seconds: None)


def test_a_conflict_with_another_transaction_is_retried() -> None:
    client = FakeClient([["None", "TransactionConflict"], None])
    transact_write([{}, {}], client.as_dynamodb)
    assert client.calls == 2


def test_a_failed_condition_is_not_retried() -> None:
    client = FakeClient([["ConditionalCheckFailed", "None"], None])
    with pytest.raises(TransactionCancelled) as raised:
        transact_write([{}, {}], client.as_dynamodb)
    assert raised.value.failed_condition(0) and client.calls == 1


def test_conflicts_that_never_clear_give_up() -> None:
    client = FakeClient([["TransactionConflict"]] * (transactions.CONFLICT_RETRIES + 1))
    with pytest.raises(TransactionCancelled):
        transact_write([{}], client.as_dynamodb)
    assert client.calls == transactions.CONFLICT_RETRIES + 1
