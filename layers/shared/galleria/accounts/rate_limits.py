"""Per-team request rate limits: a counter per team and minute in the accounts table.

A fixed one-minute window (``TEAM#{id}/RATE#{minute}``), taken with one conditional update, so
concurrent requests can never pass the plan's limit. A burst can straddle two windows (up to twice
the limit within a minute across the boundary); that is the price of one write per request.
Window records expire through the table's TTL attribute ``expiresAt``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from galleria import dynamo
from galleria.config import Settings
from galleria.errors import RateLimited
from galleria.table import TableRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

WINDOW_SECONDS = 60


class RateLimiter(TableRepository):
    def __init__(
        self,
        table_name: str | None = None,
        client: DynamoDBClient | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(table_name, client)
        self._now = now

    @staticmethod
    def default_table(settings: Settings) -> str:
        return settings.accounts_table

    def take(self, team_id: str, per_minute: int) -> None:
        """Count one request in the current window, or raise RateLimited (429) when it is full."""
        now = self._now()
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": f"TEAM#{team_id}"}, "sk": {"S": f"RATE#{window}"}},
                UpdateExpression="ADD requests :one SET expiresAt = :expires",
                ConditionExpression="attribute_not_exists(requests) OR requests < :limit",
                ExpressionAttributeValues={
                    ":one": dynamo.value(1),
                    ":limit": dynamo.value(per_minute),
                    ":expires": dynamo.value(window + 2 * WINDOW_SECONDS),
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            retry_after = max(1, int(window + WINDOW_SECONDS - now + 0.999))
            raise RateLimited(
                f"Rate limit reached: your plan allows {per_minute} generation requests per minute",
                retry_after=retry_after,
            ) from exc
