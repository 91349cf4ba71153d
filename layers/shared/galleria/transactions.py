"""DynamoDB transactions across tables (credits, jobs, items, usage change together)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from galleria import aws, backoff

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

CONFLICT_RETRIES = 3
# Cancellation reasons that pass on their own: a concurrent transaction on the same item, or DynamoDB
# throttling an item (an on-demand table scaling up; the client's retries never see these, as the
# call itself answers TransactionCanceledException). Any other reason, a failed condition, is final.
PASSING_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})


class TransactionCancelled(Exception):
    """A condition in the transaction failed; ``reasons`` has one entry per part, in order."""

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("transaction cancelled")
        self.reasons = reasons

    @property
    def passing(self) -> bool:
        """Only passing reasons cancelled it: the same transaction may succeed when tried again."""
        codes = {reason.get("Code") for reason in self.reasons} - {"None", None}
        return bool(codes) and codes <= PASSING_REASONS

    def failed_condition(self, index: int) -> bool:
        return len(self.reasons) > index and self.reasons[index].get("Code") == "ConditionalCheckFailed"


def transact_write(parts: list[dict[str, Any]], client: DynamoDBClient | None = None) -> None:
    """Write all parts or none. A cancellation caused only by a concurrent transaction on the same
    item (``TransactionConflict``, e.g. two images of one job updating the team's usage) or by
    throttling is retried; a failed condition raises TransactionCancelled at once."""
    client = client or aws.client("dynamodb")
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            # The parts are built as plain attribute-value dicts throughout the layer.
            client.transact_write_items(TransactItems=cast("list[TransactWriteItemTypeDef]", parts))
            return
        except client.exceptions.TransactionCanceledException as exc:
            reasons: list[Any] = exc.response.get("CancellationReasons", [])
            cancelled = TransactionCancelled(reasons)
            if not cancelled.passing or attempt == CONFLICT_RETRIES:
                raise cancelled from exc
            backoff.pause(attempt, base=0.05, cap=1.0)
