"""Data access for the accounts table: teams (plan, credits, usage) and API keys.

Layout: ``TEAM#{id}/PROFILE`` the team, ``TEAM#{id}/KEY#{key id}`` the team's key records,
``APIKEY#{sha256}/APIKEY`` the lookup used on every request (one GetItem per auth); the credit
ledger (galleria.accounts.ledger) and rate windows (galleria.accounts.rate_limits) live beside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from galleria import dynamo
from galleria.accounts.ledger import CreditLedger, EntryKind
from galleria.config import Settings
from galleria.domain.teams import ApiKey, Team
from galleria.errors import InsufficientCredits, NotFound
from galleria.table import TableRepository
from galleria.transactions import TransactionCancelled, transact_write

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_PROFILE = "PROFILE"


def team_key(team_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"TEAM#{team_id}"}, "sk": {"S": _PROFILE}}


def _lookup_key(key_hash: str) -> dict[str, Any]:
    return {"pk": {"S": f"APIKEY#{key_hash}"}, "sk": {"S": "APIKEY"}}


class AccountsRepository(TableRepository):
    def __init__(self, table_name: str | None = None, client: DynamoDBClient | None = None) -> None:
        super().__init__(table_name, client)
        self.ledger = CreditLedger(self.table, client)

    @staticmethod
    def default_table(settings: Settings) -> str:
        return settings.accounts_table

    # --- teams ---------------------------------------------------------------------
    def put_team(self, team: Team) -> None:
        """Create the team; its starting credits are the ledger's first grant."""
        record = {"pk": f"TEAM#{team.id}", "sk": _PROFILE, **team.model_dump(mode="json")}
        parts = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": dynamo.serialize(record),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if team.credits:
            parts.append(self.ledger.entry_op(team.id, EntryKind.GRANT, team.credits))
        transact_write(parts, self._client)

    def get_team(self, team_id: str) -> Team:
        response = self.client.get_item(TableName=self.table, Key=team_key(team_id), ConsistentRead=True)
        if "Item" not in response:
            raise NotFound(f"Team {team_id} not found")
        return Team.model_validate(dynamo.deserialize(response["Item"]))

    def find_teams(self, team_ids: list[str]) -> dict[str, Team]:
        """The teams that exist among ``team_ids`` (at most 100: one BatchGetItem)."""
        wanted = list(dict.fromkeys(team_ids))
        if not wanted:
            return {}
        request: dict[str, Any] = {self.table: {"Keys": [team_key(team_id) for team_id in wanted]}}
        found: dict[str, Team] = {}
        while request:
            response = self.client.batch_get_item(RequestItems=request)
            for record in response["Responses"].get(self.table, []):
                team = Team.model_validate(dynamo.deserialize(record))
                found[team.id] = team
            request = response.get("UnprocessedKeys") or {}
        return found

    def set_public_tags(self, team_id: str, allowed: bool) -> Team:
        response = dynamo.update_if(
            self.client,
            TableName=self.table,
            Key=team_key(team_id),
            UpdateExpression="SET public_tags = :allowed",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":allowed": {"BOOL": allowed}},
            ReturnValues="ALL_NEW",
        )
        if response is None:
            raise NotFound(f"Team {team_id} not found")
        return Team.model_validate(dynamo.deserialize(response["Attributes"]))

    def add_credits(self, team_id: str, amount: int) -> int:
        """Grant credits (recorded in the ledger); returns the new balance."""
        update = {
            "Update": {
                "TableName": self.table,
                "Key": team_key(team_id),
                "UpdateExpression": "ADD credits :amount",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": {":amount": dynamo.value(amount)},
            }
        }
        try:
            transact_write([update, self.ledger.entry_op(team_id, EntryKind.GRANT, amount)], self._client)
        except TransactionCancelled as exc:
            if exc.failed_condition(0):
                raise NotFound(f"Team {team_id} not found") from exc
            raise
        return self.get_team(team_id).credits

    def charge_ops(self, team_id: str, job_id: str, amount: int) -> list[dict[str, Any]]:
        """Transaction parts taking ``amount`` credits only if the balance covers it (the first
        part: its condition failing means 402), with the job's ledger entry."""
        reserve = {
            "Update": {
                "TableName": self.table,
                "Key": team_key(team_id),
                "UpdateExpression": "SET credits = credits - :amount",
                "ConditionExpression": "credits >= :amount",
                "ExpressionAttributeValues": {":amount": dynamo.value(amount)},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        return [reserve, self.ledger.entry_op(team_id, EntryKind.CHARGE, -amount, job_id)]

    def refund_ops(self, team_id: str, job_id: str, amount: int) -> list[dict[str, Any]]:
        """Transaction parts giving back ``amount`` of the job's credits; a job is refunded once."""
        refund = {
            "Update": {
                "TableName": self.table,
                "Key": team_key(team_id),
                "UpdateExpression": "ADD credits :amount",
                "ExpressionAttributeValues": {":amount": dynamo.value(amount)},
            }
        }
        return [refund, self.ledger.entry_op(team_id, EntryKind.REFUND, amount, job_id)]

    def usage_op(self, team_id: str, *, storage: int, items: int, trash: int) -> dict[str, Any]:
        """A transaction part changing the team's stored bytes, item count and reclaimable trash bytes."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": team_key(team_id),
                "UpdateExpression": "ADD storage_used :bytes, item_count :items, trash_bytes :trash",
                "ExpressionAttributeValues": {
                    ":bytes": dynamo.value(storage),
                    ":items": dynamo.value(items),
                    ":trash": dynamo.value(trash),
                },
            }
        }

    @staticmethod
    def insufficient_credits(reason: dict[str, Any], required: int) -> InsufficientCredits:
        """Build the 402 from a cancelled reservation (the reason carries the old balance)."""
        balance = dynamo.deserialize(reason.get("Item", {})).get("credits", 0)
        return InsufficientCredits(required=required, balance=int(balance))

    # --- API keys --------------------------------------------------------------------
    def put_key(self, key: ApiKey) -> None:
        record = key.model_dump(mode="json")
        self.client.transact_write_items(
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": self.table,
                        "Key": team_key(key.team_id),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": dynamo.serialize(
                            {"pk": f"TEAM#{key.team_id}", "sk": f"KEY#{key.key_id}", **record}
                        ),
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": dynamo.serialize({"pk": f"APIKEY#{key.key_hash}", "sk": "APIKEY", **record}),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )

    def find_key(self, key_hash: str) -> ApiKey | None:
        response = self.client.get_item(TableName=self.table, Key=_lookup_key(key_hash))
        if "Item" not in response:
            return None
        return ApiKey.model_validate(dynamo.deserialize(response["Item"]))

    def list_keys(self, team_id: str) -> list[ApiKey]:
        response = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :key)",
            ExpressionAttributeValues={":pk": {"S": f"TEAM#{team_id}"}, ":key": {"S": "KEY#"}},
        )
        return [ApiKey.model_validate(dynamo.deserialize(i)) for i in response["Items"]]

    def revoke_key(self, key: ApiKey, revoked_at: str) -> None:
        """Delete the lookup (the key stops working) and keep the team's record for audit."""
        self.client.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self.table, "Key": _lookup_key(key.key_hash)}},
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": {"pk": {"S": f"TEAM#{key.team_id}"}, "sk": {"S": f"KEY#{key.key_id}"}},
                        "UpdateExpression": "SET revoked_at = :at",
                        "ExpressionAttributeValues": {":at": {"S": revoked_at}},
                    }
                },
            ]
        )
