"""Edit sessions ("open in chat"): a chain of edits that starts from one gallery item.

Stored in the items table beside the team's items, so one query reads a session and its turns in
order: ``TEAM#{team}/SESSION#{id}`` the session (with its turn counter) and
``TEAM#{team}/SESSION#{id}#TURN#{n:05d}`` each turn (prompt → job → variant).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from galleria import clock, dynamo, ids
from galleria.config import Settings
from galleria.domain.jobs import JobStatus
from galleria.errors import NotFound
from galleria.partitions import team_partition
from galleria.table import TableRepository


class EditSession(BaseModel):
    id: str
    team_id: str
    gallery_image_id: str  # the item the session started from
    created_at: str
    turns: int = 0  # turn numbers handed out so far

    @classmethod
    def starting_from(cls, team_id: str, item_id: str) -> EditSession:
        return cls(
            id=ids.new_id(ids.SESSION), team_id=team_id, gallery_image_id=item_id, created_at=clock.now_iso()
        )


class SessionTurn(BaseModel):
    session_id: str
    turn: int
    prompt: str
    job_id: str
    status: JobStatus = JobStatus.QUEUED
    variant_id: str | None = None
    created_at: str
    updated_at: str


def _session_sk(session_id: str) -> str:
    return f"SESSION#{session_id}"


def _turn_sk(session_id: str, turn: int) -> str:
    return f"SESSION#{session_id}#TURN#{turn:05d}"


class SessionsRepository(TableRepository):
    @staticmethod
    def default_table(settings: Settings) -> str:
        return settings.items_table

    def _key(self, team_id: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": team_partition(team_id)}, "sk": {"S": sk}}

    def create(self, session: EditSession) -> None:
        self.client.put_item(**self.create_op(session)["Put"])

    def create_op(self, session: EditSession) -> dict[str, Any]:
        record = {
            "pk": team_partition(session.team_id),
            "sk": _session_sk(session.id),
            **session.model_dump(),
        }
        return {
            "Put": {
                "TableName": self.table,
                "Item": dynamo.serialize(record),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def read(self, team_id: str, session_id: str) -> tuple[EditSession, list[SessionTurn]]:
        """The session and its turns in order; NotFound for an unknown id (or another team's)."""
        records: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :session)",
            "ExpressionAttributeValues": {
                ":pk": {"S": team_partition(team_id)},
                ":session": {"S": _session_sk(session_id)},
            },
            "ConsistentRead": True,
        }
        while True:
            response = self.client.query(**query)
            records += [dynamo.deserialize(record) for record in response["Items"]]
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        session = next((r for r in records if r["sk"] == _session_sk(session_id)), None)
        if session is None:
            raise NotFound(f"Session {session_id} not found")
        turns = [SessionTurn.model_validate(r) for r in records if r["sk"] != _session_sk(session_id)]
        return EditSession.model_validate(session), turns

    def next_turn(self, team_id: str, session_id: str) -> int:
        """Hand out the session's next turn number (atomic: parallel edits get distinct turns)."""
        response = self.client.update_item(
            TableName=self.table,
            Key=self._key(team_id, _session_sk(session_id)),
            UpdateExpression="ADD turns :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["turns"]["N"])

    def put_turn_op(self, team_id: str, turn: SessionTurn) -> dict[str, Any]:
        """The turn's record, written in the transaction that creates its job."""
        record = {
            "pk": team_partition(team_id),
            "sk": _turn_sk(turn.session_id, turn.turn),
            **turn.model_dump(),
        }
        return {"Put": {"TableName": self.table, "Item": dynamo.serialize(record)}}

    def settle_turn_op(
        self, team_id: str, session_id: str, turn: int, status: JobStatus, variant_id: str | None, now: str
    ) -> dict[str, Any]:
        """The turn's outcome, as a part of the transaction that records its job's outcome."""
        values: dict[str, Any] = {":status": {"S": status.value}, ":now": {"S": now}}
        expression = "SET #status = :status, updated_at = :now"
        if variant_id:
            expression += ", variant_id = :variant"
            values[":variant"] = {"S": variant_id}
        return {
            "Update": {
                "TableName": self.table,
                "Key": self._key(team_id, _turn_sk(session_id, turn)),
                "UpdateExpression": expression,
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": values,
            }
        }
