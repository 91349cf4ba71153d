"""Data access for the jobs table (one record per job, expiring a week after creation)."""

from __future__ import annotations

import time
from typing import Any

from galleria import aws, dynamo
from galleria.config import get_settings
from galleria.domain.jobs import Job, JobStatus
from galleria.errors import NotFound

JOB_TTL_SECONDS = 7 * 24 * 3600


def job_key(job_id: str) -> dict[str, Any]:
    return {"id": {"S": job_id}}


class JobsRepository:
    def __init__(self, table_name: str | None = None, client: Any | None = None) -> None:
        self.table = table_name or get_settings().jobs_table
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws.client("dynamodb")

    def put_new_op(self, job: Job) -> dict[str, Any]:
        record = {**job.model_dump(mode="json"), "expiresAt": int(time.time()) + JOB_TTL_SECONDS}
        return {
            "Put": {
                "TableName": self.table,
                "Item": dynamo.serialize(record),
                "ConditionExpression": "attribute_not_exists(id)",
            }
        }

    def find(self, job_id: str) -> Job | None:
        response = self.client.get_item(TableName=self.table, Key=job_key(job_id), ConsistentRead=True)
        return Job.model_validate(dynamo.deserialize(response["Item"])) if "Item" in response else None

    def get_for_team(self, team_id: str, job_id: str) -> Job:
        job = self.find(job_id)
        if job is None or job.team_id != team_id:
            raise NotFound(f"Job {job_id} not found")
        return job

    def mark_running(self, job_id: str, now: str) -> bool:
        """Claim the job; False when it already finished (a redelivered message)."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key=job_key(job_id),
                UpdateExpression="SET #status = :running, updated_at = :now",
                ConditionExpression="#status IN (:queued, :running)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":running": {"S": JobStatus.RUNNING.value},
                    ":queued": {"S": JobStatus.QUEUED.value},
                    ":now": {"S": now},
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def finish_op(self, job: Job) -> dict[str, Any]:
        """A transaction part that records the outcome once: only a job not yet finished."""
        outcome = job.model_dump(
            mode="json", include={"status", "updated_at", "images", "credits_charged", "error"}
        )
        names = {f"#{name}": name for name in outcome}
        return {
            "Update": {
                "TableName": self.table,
                "Key": job_key(job.id),
                "UpdateExpression": "SET " + ", ".join(f"#{name} = :{name}" for name in outcome),
                "ConditionExpression": "#status IN (:queued, :running)",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {
                    **{f":{name}": dynamo.value(value) for name, value in outcome.items()},
                    ":queued": {"S": JobStatus.QUEUED.value},
                    ":running": {"S": JobStatus.RUNNING.value},
                },
            }
        }
