"""The credit ledger: one record per charge, refund and grant, each naming its job.

Records live in the accounts table under the team: ``TEAM#{id}/LEDGER#{ulid}#{kind}``. The ulid is the
job's (or the grant's) time-sortable id without its prefix, so a query reads the ledger in time order,
and a job's charge and refund sort together. A refund's key is fixed per job, and it is written with
``attribute_not_exists``: a second refund of the same job cancels its whole transaction.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from galleria import clock, dynamo, ids
from galleria.config import Settings
from galleria.pagination import decode_cursor, encode_cursor
from galleria.table import TableRepository

_PREFIX = "LEDGER#"


class EntryKind(StrEnum):
    CHARGE = "charge"
    REFUND = "refund"
    GRANT = "grant"


class LedgerEntry(BaseModel):
    kind: EntryKind
    credits: int  # signed: a charge is negative
    job_id: str | None = None
    at: str


def _sort_key(reference: str, kind: EntryKind) -> str:
    return f"{_PREFIX}{reference.split('_', 1)[-1]}#{kind.value}"


class CreditLedger(TableRepository):
    @staticmethod
    def default_table(settings: Settings) -> str:
        return settings.accounts_table

    def entry_op(
        self, team_id: str, kind: EntryKind, credits: int, job_id: str | None = None
    ) -> dict[str, Any]:
        """A transaction part recording one movement (``credits`` signed) at most once."""
        reference = job_id or ids.new_id("grant")
        entry = LedgerEntry(kind=kind, credits=credits, job_id=job_id, at=clock.now_iso())
        record = {"pk": f"TEAM#{team_id}", "sk": _sort_key(reference, kind), **entry.model_dump(mode="json")}
        return {
            "Put": {
                "TableName": self.table,
                "Item": dynamo.serialize(record),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def list(
        self, team_id: str, *, limit: int, cursor: str | None = None
    ) -> tuple[list[LedgerEntry], str | None]:
        """Newest first, ``limit`` entries and the cursor of the next page (None at the end)."""
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :ledger)",
            "ExpressionAttributeValues": {":pk": {"S": f"TEAM#{team_id}"}, ":ledger": {"S": _PREFIX}},
            "ScanIndexForward": False,
            "Limit": limit + 1,  # one more than the page: a next cursor only when there is a next page
        }
        if cursor:
            position = decode_cursor(cursor, ("sk",))
            query["ExclusiveStartKey"] = {"pk": {"S": f"TEAM#{team_id}"}, "sk": {"S": position["sk"]}}
        records = self.client.query(**query)["Items"]
        entries = [LedgerEntry.model_validate(dynamo.deserialize(item)) for item in records[:limit]]
        more = len(records) > limit
        return entries, encode_cursor({"sk": records[limit - 1]["sk"]["S"]}) if more else None
