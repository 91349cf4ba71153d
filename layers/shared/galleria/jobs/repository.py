"""Data access for the jobs table (one record per job, expiring a week after creation)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

from galleria import dynamo
from galleria.config import Settings
from galleria.domain.jobs import Job, JobStatus
from galleria.errors import NotFound
from galleria.table import TableRepository

JOB_TTL_SECONDS = 7 * 24 * 3600
# Inline images (kept when S3 failed) are split into records under DynamoDB's 400 KB item limit,
# written 25 per BatchWriteItem (the API's maximum) and read back 100 per BatchGetItem.
INLINE_CHUNK_BYTES = 350_000
_WRITE_BATCH = 25
_READ_BATCH = 100


def _inline_key(job_id: str, index: int, chunk: int) -> dict[str, Any]:
    return job_key(f"{job_id}#inline#{index}#{chunk}")


def job_key(job_id: str) -> dict[str, Any]:
    return {"id": {"S": job_id}}


def _job(record: dict[str, Any]) -> Job:
    return Job.model_validate(dynamo.deserialize(record))


@dataclass(frozen=True)
class Claim:
    """A job as a worker's delivery found it when claiming it."""

    job: Job | None  # None: there is no such job
    running: bool  # this delivery runs the job (False: it had finished)
    resumed: bool  # an earlier delivery started it, so some of its work may be done


class JobsRepository(TableRepository):
    @staticmethod
    def default_table(settings: Settings) -> str:
        return settings.jobs_table

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
        return _job(response["Item"]) if "Item" in response else None

    def get_for_team(self, team_id: str, job_id: str) -> Job:
        job = self.find(job_id)
        if job is None or job.team_id != team_id:
            raise NotFound(f"Job {job_id} not found")
        return job

    def claim(self, job_id: str, now: str) -> Claim:
        """Mark the job running and read it, in one conditional update: a job that already finished
        (a redelivered message) is read and left as it is."""
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key=job_key(job_id),
                UpdateExpression="SET #status = :running, updated_at = :now",
                ConditionExpression="#status IN (:queued, :running)",  # also false for no record
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":running": {"S": JobStatus.RUNNING.value},
                    ":queued": {"S": JobStatus.QUEUED.value},
                    ":now": {"S": now},
                },
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            record = cast("dict[str, Any] | None", exc.response.get("Item"))
            return Claim(_job(record) if record else None, running=False, resumed=False)
        before = _job(response["Attributes"])
        running = before.model_copy(update={"status": JobStatus.RUNNING, "updated_at": now})
        return Claim(running, running=True, resumed=before.status is JobStatus.RUNNING)

    def finish_op(self, job: Job) -> dict[str, Any]:
        """A transaction part that records the outcome once: only a job not yet finished."""
        outcome = job.model_dump(
            mode="json", include={"status", "updated_at", "images", "credits_charged", "error", "export"}
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

    def wait(self, job: Job, timeout_seconds: float) -> Job:
        """Poll until the job finishes or the time is up (the caller then answers 202)."""
        deadline = time.monotonic() + timeout_seconds
        delay = 0.1
        while time.monotonic() < deadline:
            current = self.find(job.id)
            if current is not None and current.status.finished:
                return current
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 1.5, 1.0)
        return self.find(job.id) or job

    def put_inline_image(self, job_id: str, index: int, data: bytes) -> int:
        """Keep an image's bytes with the job (S3 failed); returns the number of chunks."""
        expires = int(time.time()) + JOB_TTL_SECONDS  # as long as the job that points at them
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        **_inline_key(job_id, index, n),
                        "data": {"B": data[offset : offset + INLINE_CHUNK_BYTES]},
                        "expiresAt": {"N": str(expires)},
                    }
                }
            }
            for n, offset in enumerate(range(0, len(data), INLINE_CHUNK_BYTES))
        ]
        for start in range(0, len(requests), _WRITE_BATCH):
            pending: dict[str, Any] = {self.table: requests[start : start + _WRITE_BATCH]}
            while pending:
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        return len(requests)

    def inline_image(self, job_id: str, index: int, chunks: int) -> bytes | None:
        """The image's bytes, or None once its records have expired."""
        keys = [_inline_key(job_id, index, n) for n in range(chunks)]
        parts: dict[str, bytes] = {}
        for start in range(0, len(keys), _READ_BATCH):
            pending: dict[str, Any] = {self.table: {"Keys": keys[start : start + _READ_BATCH]}}
            while pending:
                response = self.client.batch_get_item(RequestItems=pending)
                for record in response["Responses"].get(self.table, []):
                    parts[record["id"]["S"]] = record["data"]["B"]
                pending = response.get("UnprocessedKeys") or {}
        if len(parts) < len(keys):
            return None
        return b"".join(parts[key["id"]["S"]] for key in keys)
