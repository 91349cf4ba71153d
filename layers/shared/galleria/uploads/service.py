"""Starting an upload: check what is declared, hand out a presigned PUT, remember the upload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from galleria import clock, ids
from galleria.accounts.repository import AccountsRepository
from galleria.domain.items import Item
from galleria.domain.uploads import MAX_UPLOAD_BYTES, UPLOAD_KINDS, UPLOAD_URL_SECONDS, Upload, UploadStatus
from galleria.errors import PayloadTooLarge, StorageQuotaExceeded
from galleria.items.repository import ItemsRepository
from galleria.storage import MediaStorage, upload_object_key
from galleria.uploads.repository import UploadsRepository


@dataclass(frozen=True)
class PresignedUpload:
    upload: Upload
    url: str
    headers: dict[str, str]


def display_name(filename: str) -> str:
    """The file's own name without any folders a client may have sent along."""
    return filename.replace("\\", "/").rsplit("/", 1)[-1].strip()


class UploadService:
    def __init__(
        self,
        uploads: UploadsRepository | None = None,
        accounts: AccountsRepository | None = None,
        storage: MediaStorage | None = None,
        items: ItemsRepository | None = None,
    ) -> None:
        self.uploads = uploads or UploadsRepository()
        self.items = items or ItemsRepository()
        self.accounts = accounts or AccountsRepository()
        self.storage = storage or MediaStorage()

    def start(self, team_id: str, *, filename: str, content_type: str, size: int) -> PresignedUpload:
        kind = UPLOAD_KINDS[content_type]
        if size > MAX_UPLOAD_BYTES[kind]:
            limit_mb = MAX_UPLOAD_BYTES[kind] // (1024 * 1024)
            raise PayloadTooLarge(
                f"{kind.capitalize()} uploads may be at most {limit_mb} MB; this one is {size} bytes"
            )
        team = self.accounts.get_team(team_id)
        limit = team.limits.storage_bytes
        if limit is not None and team.storage_used + size > limit:
            raise StorageQuotaExceeded(used=team.storage_used, limit=limit)

        item_id = ids.new_id(ids.ITEM)
        now = clock.now()
        upload = Upload(
            item_id=item_id,
            team_id=team_id,
            filename=display_name(filename),
            content_type=content_type,
            size=size,
            object_key=upload_object_key(team_id, item_id),
            created_at=clock.iso(now),
            updated_at=clock.iso(now),
            url_expires_at=clock.iso(now + timedelta(seconds=UPLOAD_URL_SECONDS)),
        )
        url, headers = self.storage.presigned_put(
            upload.object_key, content_type=content_type, size=size, expires_in=UPLOAD_URL_SECONDS
        )
        self.uploads.put_new(upload)
        return PresignedUpload(upload=upload, url=url, headers=headers)

    def status(self, team_id: str, item_id: str) -> tuple[Upload, Item | None]:
        """The upload and, once it is ready, its item (None again after a permanent delete)."""
        upload = self.uploads.get_for_team(team_id, item_id)
        item = self.items.find(team_id, item_id) if upload.status is UploadStatus.READY else None
        return upload, item
