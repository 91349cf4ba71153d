"""DynamoDB transactions across tables (credits, jobs, items, usage change together)."""

from __future__ import annotations

from typing import Any

from galleria import aws


class TransactionCancelled(Exception):
    """A condition in the transaction failed; ``reasons`` has one entry per part, in order."""

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("transaction cancelled")
        self.reasons = reasons

    def failed_condition(self, index: int) -> bool:
        return len(self.reasons) > index and self.reasons[index].get("Code") == "ConditionalCheckFailed"


def transact_write(parts: list[dict[str, Any]], client: Any | None = None) -> None:
    client = client or aws.client("dynamodb")
    try:
        client.transact_write_items(TransactItems=parts)
    except client.exceptions.TransactionCanceledException as exc:
        raise TransactionCancelled(exc.response.get("CancellationReasons", [])) from exc
