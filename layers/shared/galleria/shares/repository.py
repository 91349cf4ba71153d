"""Data access for the shares table.

| record | key | holds |
|---|---|---|
| a share | ``pk = SHARE#{token}`` | the Share, plus ``targetPk``/``createdSk`` for the ByTarget index |
| the active share of a target | ``pk = ACTIVE#{team}#{type}#{id}`` | ``token`` of the one active link |
| a password-attempt window | ``pk = ATTEMPTS#{token}#{window}`` | ``attempts`` so far; expires (TTL) |

The pointer makes "one active link per target" a condition DynamoDB enforces: two concurrent
requests to share an item both try to create it, one wins, and both answer with its token.
"""

from __future__ import annotations

from typing import Any

from galleria import dynamo
from galleria.config import Settings
from galleria.domain.shares import Share, ShareTarget
from galleria.table import TableRepository
from galleria.transactions import TransactionCancelled, transact_write

BY_TARGET_INDEX = "ByTarget"
_LIST_LIMIT = 100


def _share_key(token: str) -> dict[str, Any]:
    return {"pk": {"S": f"SHARE#{token}"}}


def target_key(team_id: str, target_type: ShareTarget, target_id: str) -> str:
    return f"{team_id}#{target_type.value}#{target_id}"


def _attempts_key(token: str, window: int) -> dict[str, Any]:
    return {"pk": {"S": f"ATTEMPTS#{token}#{window}"}}


def _pointer_key(team_id: str, target_type: ShareTarget, target_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ACTIVE#{target_key(team_id, target_type, target_id)}"}}


class SharesRepository(TableRepository):
    @staticmethod
    def default_table(settings: Settings) -> str:
        return settings.shares_table

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

    def revoke_target(self, team_id: str, target_type: ShareTarget, target_id: str, now: str) -> None:
        """End the target's active link, if it has one (its target is gone for good)."""
        token = self.active_token(team_id, target_type, target_id)
        share = self.find(token) if token else None
        if share is not None:
            self.revoke(share, now)

    # --- public viewing ------------------------------------------------------------------
    def record_view(self, token: str, now: str) -> Share | None:
        """Count one view, atomically, only while the link still answers (not revoked, not
        expired, views below maxViews); None when it no longer does."""
        response = dynamo.update_if(
            self.client,
            TableName=self.table,
            Key=_share_key(token),
            UpdateExpression="ADD #views :one SET last_viewed_at = :now",
            ConditionExpression=(
                "attribute_exists(pk) AND attribute_not_exists(revoked_at)"
                " AND (attribute_not_exists(expires_at) OR expires_at > :now)"
                " AND (attribute_not_exists(max_views) OR #views < max_views)"
            ),
            ExpressionAttributeNames={"#views": "views"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":now": {"S": now}},
            ReturnValues="ALL_NEW",
        )
        return None if response is None else Share.model_validate(dynamo.deserialize(response["Attributes"]))

    def reserve_password_attempt(self, token: str, window: int, *, limit: int, expires_at: int) -> bool:
        """Take one of the window's ``limit`` password attempts; False when none is left. Taken
        before the password is checked, so parallel guesses cannot overrun the limit."""
        return (
            dynamo.update_if(
                self.client,
                TableName=self.table,
                Key=_attempts_key(token, window),
                UpdateExpression="ADD attempts :one SET expiresAt = :expires",
                ConditionExpression="attribute_not_exists(attempts) OR attempts < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(expires_at)},
                },
            )
            is not None
        )

    def release_password_attempt(self, token: str, window: int) -> None:
        """Give back an attempt that turned out to be the right password."""
        dynamo.update_if(
            self.client,
            TableName=self.table,
            Key=_attempts_key(token, window),
            UpdateExpression="ADD attempts :minus_one",
            ConditionExpression="attempts > :zero",
            ExpressionAttributeValues={":minus_one": {"N": "-1"}, ":zero": {"N": "0"}},
        )

    def record_failed_password(self, token: str) -> None:
        """The audit count on the share record (``failedPasswordAttempts``)."""
        dynamo.update_if(
            self.client,
            TableName=self.table,
            Key=_share_key(token),
            UpdateExpression="ADD failed_password_attempts :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
