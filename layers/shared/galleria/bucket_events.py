"""The ingest queue: S3 event notifications, each sent where it belongs.

- ObjectCreated under uploads/: an upload to check and turn into an item;
- LifecycleExpiration under trash/: a trashed item whose 30 days are over.
S3's test message (sent when notifications are configured) is acknowledged and ignored.
Keys arrive URL-encoded (spaces as '+'), as S3 sends them.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from galleria.items.purge import TrashPurge
from galleria.uploads.ingest import UploadIngest

logger = Logger(child=True)


def handle_bucket_event(record: SQSRecord) -> None:
    if record.json_body.get("Event") == "s3:TestEvent":
        return
    for entry in record.decoded_nested_s3_event.records:
        key = unquote_plus(entry.s3.get_object.key)
        if entry.event_name.startswith("ObjectCreated:"):
            status = UploadIngest().object_created(key, int(entry.s3.get_object.size or 0))
            logger.info("Upload handled", extra={"key": key, "status": status})
        elif entry.event_name.startswith("LifecycleExpiration:"):
            purged = TrashPurge().object_expired(key)
            logger.info("Trash object expired", extra={"key": key, "item_purged": purged})
        else:
            logger.warning("Ignoring a bucket event", extra={"key": key, "event": entry.event_name})
