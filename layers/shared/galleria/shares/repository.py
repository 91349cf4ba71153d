"""Data access for the shares table.

| record | key | holds |
|---|---|---|
| a share | ``pk = SHARE#{token}`` | the Share, plus ``targetPk``/``createdSk`` for the ByTarget index |
| the active share of a target | ``pk = ACTIVE#{team}#{type}#{id}`` | ``token`` of the one active link |

The pointer makes "one active link per target" a condition DynamoDB enforces: two concurrent
requests to share an item both try to create it, one wins, and both answer with its token.
"""

from __future__ import annotations

from typing import Any

from galleria import aws, dynamo
from galleria.config import get_settings
from galleria.domain.shares import Share, ShareTarget
from galleria.transactions import TransactionCancelled, transact_write

BY_TARGET_INDEX = "ByTarget"
_LIST_LIMIT = 100


def _share_key(token: str) -> dict[str, Any]:
    return {"pk": {"S": f"SHARE#{token}"}}


def target_key(team_id: str, target_type: ShareTarget, target_id: str) -> str:
    return f"{team_id}#{target_type.value}#{target_id}"


def _pointer_key(team_id: str, target_type: ShareTarget, target_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ACTIVE#{target_key(team_id, target_type, target_id)}"}}


class SharesRepository:
    def __init__(self, table_name: str | None = None, client: Any | None = None) -> None:
        self.table = table_name or get_settings().shares_table
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws.client("dynamodb")

    # --- reading -------------------------------------------------------------------------
    def find(self, token: str) -> Share | None:
        response = self.client.get_item(TableName=self.table, Key=_share_key(token), ConsistentRead=True)
        return Share.model_validate(dynamo.deserialize(response["Item"])) if "Item" in response else None

    def active_token(self, team_id: str, target_type: ShareTarget, target_id: str) -> str | None:
        response = self.client.get_item(
            TableName=self.table, Key=_pointer_key(team_id, target_type, target_id), ConsistentRead=True
        )
        return response["Item"]["token"]["S"] if "Item" in response else None

    def list_for(self, team_id: str, target_type: ShareTarget, target_id: str) -> list[Share]:
        """Every link the target ever had, newest first (revoked ones kept for audit)."""
        response = self.client.query(
            TableName=self.table,
            IndexName=BY_TARGET_INDEX,
            KeyConditionExpression="targetPk = :target",
            ExpressionAttributeValues={":target": {"S": target_key(team_id, target_type, target_id)}},
            ScanIndexForward=False,
            Limit=_LIST_LIMIT,
        )
        return [Share.model_validate(dynamo.deserialize(record)) for record in response["Items"]]

    # --- writing -------------------------------------------------------------------------
    def create(self, share: Share, *, replacing: str | None) -> bool:
        """Store a new link as its target's active one; False when another request made one first.
        ``replacing`` is the expired or revoked link the pointer may still name."""
        pointer = _pointer_key(share.team_id, share.target_type, share.target_id)
        condition = "attribute_not_exists(pk)" + (" OR #token = :replacing" if replacing else "")
        pointer_put: dict[str, Any] = {
            "TableName": self.table,
            "Item": {**pointer, "token": {"S": share.token}},
            "ConditionExpression": condition,
        }
        if replacing:
            pointer_put["ExpressionAttributeNames"] = {"#token": "token"}
            pointer_put["ExpressionAttributeValues"] = {":replacing": {"S": replacing}}
        record = {
            **share.model_dump(mode="json"),
            "targetPk": target_key(share.team_id, share.target_type, share.target_id),
            "createdSk": f"{share.created_at}#{share.token}",
        }
        parts = [
            {"Put": pointer_put},
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {**_share_key(share.token), **dynamo.serialize(record)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        try:
            transact_write(parts, self._client)
        except TransactionCancelled as exc:
            if exc.failed_condition(0):
                return False
            raise
        return True

    def update_options(self, share: Share) -> bool:
        """Write the link's options; False when it was revoked meanwhile."""
        options = share.model_dump(
            mode="json",
            include={
                "expires_in",
                "expires_at",
                "password_hash",
                "allow_download",
                "show_metadata",
                "max_views",
                "updated_at",
            },
        )
        present = {name: value for name, value in options.items() if value is not None}
        absent = [name for name, value in options.items() if value is None]
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in present)
        if absent:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in absent)
        return (
            dynamo.update_if(
                self.client,
                TableName=self.table,
                Key=_share_key(share.token),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(revoked_at)",
                ExpressionAttributeNames={f"#{name}": name for name in options},
                ExpressionAttributeValues={
                    f":{name}": dynamo.value(value) for name, value in present.items()
                },
            )
            is not None
        )

    def revoke(self, share: Share, now: str) -> bool:
        """Stop the link for good (its record stays for audit); False when it already was."""
        parts = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _share_key(share.token),
                    "UpdateExpression": "SET revoked_at = :now, updated_at = :now",
                    "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(revoked_at)",
                    "ExpressionAttributeValues": {":now": {"S": now}},
                }
            },
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": _pointer_key(share.team_id, share.target_type, share.target_id),
                    "ConditionExpression": "attribute_not_exists(pk) OR #token = :token",
                    "ExpressionAttributeNames": {"#token": "token"},
                    "ExpressionAttributeValues": {":token": {"S": share.token}},
                }
            },
        ]
        try:
            transact_write(parts, self._client)
        except TransactionCancelled as exc:
            if exc.failed_condition(0):
                return False
            raise
        return True
