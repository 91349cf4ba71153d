"""The ingest worker's upload side: an uploaded file becomes a gallery item, or is refused.

S3 tells us an object arrived under uploads/ (through SQS, at least once, and twice for a
multipart upload). The file is judged by its bytes, never its name or declared type; a valid one
is copied to the item's place with thumbnails (images), the item is written with the team's usage
in one transaction, and only then is the upload object removed. Any step may run again: the item
write is conditional on the item not existing, and the upload's outcome is recorded once.
"""

from __future__ import annotations

import hashlib
from math import gcd
from pathlib import PurePath

from aws_lambda_powertools import Logger

from galleria import clock
from galleria.accounts.repository import AccountsRepository
from galleria.domain.items import Item, Rendition
from galleria.domain.jobs import JobError
from galleria.domain.teams import Team
from galleria.domain.uploads import MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS, UPLOAD_MODEL, Upload, UploadStatus
from galleria.errors import InvalidImage
from galleria.imaging.formats import sniff_format
from galleria.items.changes import Change
from galleria.items.repository import ItemsRepository
from galleria.items.writer import ItemWriter
from galleria.storage import MediaStorage, item_object_key, upload_owner
from galleria.transactions import TransactionCancelled
from galleria.uploads.inspect import IMAGE_FORMATS, MediaInfo, inspect_media
from galleria.uploads.repository import UploadsRepository

logger = Logger(child=True)

THUMBNAIL_SIZES = (512, 256)


class UploadBusy(Exception):
    """Another run holds the upload: the queue delivers the event again later."""


class UploadRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.error = JobError(code=code, message=message)


def aspect_ratio_label(width: int | None, height: int | None) -> str:
    """``16:9`` for 1920x1080; ``unknown`` when a video's container does not say."""
    if not width or not height:
        return "unknown"
    divisor = gcd(width, height)
    return f"{width // divisor}:{height // divisor}"


def _check_quota(team: Team, size: int) -> None:
    """Checked again on arrival, with the thumbnails: other files may have filled the gallery
    since the URL was handed out."""
    limit = team.limits.storage_bytes
    if limit is not None and team.storage_used + size > limit:
        raise UploadRefused(
            "storage_quota_exceeded",
            f"The gallery uses {team.storage_used} of {limit} bytes; this file needs {size} more",
        )


class UploadIngest:
    def __init__(
        self,
        uploads: UploadsRepository | None = None,
        items: ItemsRepository | None = None,
        accounts: AccountsRepository | None = None,
        storage: MediaStorage | None = None,
    ) -> None:
        self.uploads = uploads or UploadsRepository()
        self.items = items or ItemsRepository()
        self.accounts = accounts or AccountsRepository()
        self.storage = storage or MediaStorage()
        self.writer = ItemWriter(self.items.table, accounts=self.accounts)

    def object_created(self, key: str, size: int) -> UploadStatus | None:
        """Handle one arrived upload object; returns the upload's status (None: not an upload of ours)."""
        owner = upload_owner(key)
        upload = self.uploads.find(owner[1]) if owner else None
        if upload is None or (upload.team_id, upload.item_id) != owner or upload.object_key != key:
            # Not handed out by us, or its record expired: nothing will ever claim it.
            logger.warning("Deleting an unexpected upload object", extra={"key": key})
            self.storage.delete(key)
            return None
        if not self.uploads.claim(upload.item_id, clock.now()):
            settled = self.uploads.get_for_team(upload.team_id, upload.item_id)
            if settled.status is UploadStatus.PROCESSING:
                raise UploadBusy(f"{key} is being ingested by another run; retry later")
            self.storage.delete(key)  # a redelivered event, or a second PUT to a settled upload
            return settled.status
        if self.items.find(upload.team_id, upload.item_id) is None:
            try:
                self._make_item(upload, size)
            except UploadRefused as refusal:
                self.uploads.settle(upload.item_id, UploadStatus.FAILED, clock.now_iso(), refusal.error)
                self.storage.delete(key)
                logger.info("Upload refused", extra={"item_id": upload.item_id, "reason": str(refusal)})
                return UploadStatus.FAILED
        # else: an earlier run wrote the item and stopped before recording it
        self.uploads.settle(upload.item_id, UploadStatus.READY, clock.now_iso())
        self.storage.delete(key)
        return UploadStatus.READY

    def _make_item(self, upload: Upload, size: int) -> Item:
        ceiling = max(MAX_UPLOAD_BYTES.values())
        if size > ceiling:  # checked before reading: nothing this large is ever held in memory
            raise UploadRefused("payload_too_large", f"The file is {size} bytes; the limit is {ceiling}")
        data = self.storage.find(upload.object_key)
        if data is None:
            raise UploadRefused("upload_missing", "The uploaded file is gone; upload it again")
        kind = "image" if sniff_format(data) in IMAGE_FORMATS else "video"
        if len(data) > MAX_UPLOAD_BYTES[kind]:  # before any parsing or decoding
            limit_mb = MAX_UPLOAD_BYTES[kind] // (1024 * 1024)
            raise UploadRefused(
                "payload_too_large", f"{kind.capitalize()} uploads may be at most {limit_mb} MB"
            )
        try:
            info = inspect_media(data, max_bytes=MAX_UPLOAD_BYTES[kind], max_pixels=MAX_UPLOAD_PIXELS)
        except InvalidImage as exc:
            raise UploadRefused(InvalidImage.code, str(exc)) from exc

        renditions = self._renditions(upload, info, data)
        stored_bytes = sum(len(body) for _, body, _ in renditions.values())
        team = self.accounts.get_team(upload.team_id)
        _check_quota(team, stored_bytes)
        for key, body, content_type in renditions.values():
            # The bytes that were checked, not a copy of the upload object: the URL stays valid for a
            # while, and a later PUT must not swap what was inspected for something else.
            self.storage.put(key, body, content_type)

        now = clock.now_iso()
        item = Item(
            id=upload.item_id,
            team_id=upload.team_id,
            type=info.kind,
            prompt="",
            title=PurePath(upload.filename).stem or None,
            model=UPLOAD_MODEL,
            aspect_ratio=aspect_ratio_label(info.width, info.height),
            width=info.width,
            height=info.height,
            mime_type=info.mime_type,
            file_size=len(data),
            visibility=team.limits.default_visibility,
            source="uploaded",
            sha256=hashlib.sha256(data).hexdigest(),
            object_keys={rendition: key for rendition, (key, _, _) in renditions.items()},
            storage_bytes=stored_bytes,
            created_at=now,
            updated_at=now,
        )
        try:
            self.writer.write(upload.team_id, [Change(None, item)])
        except TransactionCancelled as exc:
            if not exc.failed_condition(0):
                raise
            item = self.items.get(upload.team_id, upload.item_id)  # written by a run that lost its lease
        return item

    @staticmethod
    def _renditions(upload: Upload, info: MediaInfo, data: bytes) -> dict[Rendition, tuple[str, bytes, str]]:
        """(key, bytes, content type) of what the item stores: the original byte for byte and,
        for images, WebP thumbnails (a GIF's from its first frame)."""
        original = item_object_key(upload.team_id, upload.item_id, Rendition.ORIGINAL, info.mime_type)
        renditions = {Rendition.ORIGINAL: (original, data, info.mime_type)}
        if info.kind == "image":
            from galleria.imaging.thumbnails import make_thumbnails

            for size, thumbnail in make_thumbnails(data, sizes=THUMBNAIL_SIZES).items():
                rendition = Rendition(f"thumb-{size}")
                key = item_object_key(upload.team_id, upload.item_id, rendition, "image/webp")
                renditions[rendition] = (key, thumbnail, "image/webp")
        return renditions
