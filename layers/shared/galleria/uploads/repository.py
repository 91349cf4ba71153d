"""Data access for uploads' pending state: records in the jobs table, keyed by the item id.

They share the jobs table's lifetime (its TTL removes them a week after creation): an upload is a
short job of the ingest worker, and its status stays readable for a while after it settled.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from galleria import clock, dynamo
from galleria.config import Settings
from galleria.domain.jobs import JobError
from galleria.domain.uploads import INGEST_LEASE_SECONDS, Upload, UploadStatus
from galleria.errors import NotFound
from galleria.jobs.repository import JOB_TTL_SECONDS, job_key
from galleria.table import TableRepository


class UploadsRepository(TableRepository):
    @staticmethod
    def default_table(settings: Settings) -> str:
        return settings.jobs_table

    def put_new(self, upload: Upload) -> None:
        record = {
            "id": upload.item_id,
            **upload.model_dump(mode="json"),
            "expiresAt": int(time.time()) + JOB_TTL_SECONDS,
        }
        self.client.put_item(
            TableName=self.table,
            Item=dynamo.serialize(record),
            ConditionExpression="attribute_not_exists(id)",
        )

    def find(self, item_id: str) -> Upload | None:
        response = self.client.get_item(TableName=self.table, Key=job_key(item_id), ConsistentRead=True)
        if "Item" not in response:
            return None
        record = dynamo.deserialize(response["Item"])
        return Upload.model_validate(record) if "object_key" in record else None

    def get_for_team(self, team_id: str, item_id: str) -> Upload:
        upload = self.find(item_id)
        if upload is None or upload.team_id != team_id:
            raise NotFound(f"Upload {item_id} not found")
        return upload

    def claim(self, item_id: str, now: datetime) -> bool:
        """Take the upload for one ingest run: pending, or processing by a run whose lease ran out."""
        return (
            dynamo.update_if(
                self.client,
                TableName=self.table,
                Key=job_key(item_id),
                UpdateExpression="SET #status = :processing, lease_until = :lease, updated_at = :now",
                ConditionExpression="#status = :pending OR (#status = :processing AND lease_until < :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":processing": {"S": UploadStatus.PROCESSING.value},
                    ":pending": {"S": UploadStatus.PENDING.value},
                    ":lease": {"S": clock.iso(now + timedelta(seconds=INGEST_LEASE_SECONDS))},
                    ":now": {"S": clock.iso(now)},
                },
            )
            is not None
        )

    def settle(self, item_id: str, status: UploadStatus, now: str, error: JobError | None = None) -> bool:
        """Record the outcome once; False when it was already recorded (a redelivered event)."""
        return (
            dynamo.update_if(
                self.client,
                TableName=self.table,
                Key=job_key(item_id),
                UpdateExpression="SET #status = :status, #error = :error, updated_at = :now",
                ConditionExpression="#status IN (:pending, :processing)",
                ExpressionAttributeNames={"#status": "status", "#error": "error"},
                ExpressionAttributeValues={
                    ":status": {"S": status.value},
                    ":error": dynamo.value(error.model_dump() if error else None),
                    ":pending": {"S": UploadStatus.PENDING.value},
                    ":processing": {"S": UploadStatus.PROCESSING.value},
                    ":now": {"S": now},
                },
            )
            is not None
        )
