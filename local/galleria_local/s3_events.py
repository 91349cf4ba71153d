"""Bucket event notifications shaped as S3 sends them, in place of moto's sketch of them.

moto (`moto.s3.notifications._get_s3_event`) leaves out fields every S3 event carries — userIdentity,
requestParameters, responseElements, the bucket's ownerIdentity, the object's sequencer — which
Powertools' S3EventRecord reads with `[]`; it URL-encodes the key's '/' as %2F, which S3 leaves as is
(`uploads/my+photo.png`); and it gives removals the size and eTag that S3 sends only for objects that
exist. While `aws_shaped_s3_events()` is open, moto's notifications are built here instead.
"""

from __future__ import annotations

import base64
import itertools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.s3 import notifications

if TYPE_CHECKING:
    from moto.s3.models import FakeBucket, FakeKey

# Who acted and who owns the bucket: on S3 an IAM principal id and the owner's canonical id.
REQUESTER_PRINCIPAL_ID = "AWS:AIDALOCALSTACKEXAMPLE"
OWNER_PRINCIPAL_ID = "A1LOCALSTACKEXAMPLE"
_REMOVALS = ("s3:ObjectRemoved:", "s3:LifecycleExpiration:")
# Sequencers grow with each event, as S3's do for one key (hex, compared after right-padding).
_SEQUENCE = itertools.count(time.time_ns())


def s3_event(
    event_name: str, bucket: FakeBucket, key: FakeKey, notification_id: str
) -> dict[str, list[dict[str, Any]]]:
    """The notification S3 sends for `event_name` (`s3:ObjectCreated:Put`) on moto's bucket and key."""
    record: dict[str, Any] = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region_name,
        "eventTime": iso_8601_datetime_with_milliseconds(),
        "eventName": event_name.removeprefix("s3:"),
        "userIdentity": {"principalId": REQUESTER_PRINCIPAL_ID},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": os.urandom(8).hex().upper(),
            "x-amz-id-2": base64.b64encode(os.urandom(48)).decode(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": notification_id,
            "bucket": {
                "name": bucket.name,
                "ownerIdentity": {"principalId": OWNER_PRINCIPAL_ID},
                "arn": bucket.arn,
            },
            "object": _object(event_name, bucket, key),
        },
    }
    return {"Records": [record]}


def _object(event_name: str, bucket: FakeBucket, key: FakeKey) -> dict[str, Any]:
    described: dict[str, Any] = {"key": quote_plus(key.name, safe="/")}  # spaces as '+', as S3 does
    if not event_name.startswith(_REMOVALS):
        described |= {"size": key.size, "eTag": key.etag.strip('"')}
    if bucket.is_versioned:
        described["versionId"] = key.version_id
    described["sequencer"] = f"{next(_SEQUENCE):018X}"
    return described


@contextmanager
def aws_shaped_s3_events() -> Iterator[None]:
    """While open, moto's bucket notifications (to SQS, SNS or Lambda) are `s3_event`'s."""
    original = notifications._get_s3_event
    notifications._get_s3_event = s3_event
    try:
        yield
    finally:
        notifications._get_s3_event = original
