"""Uploads: the presigned PUT handed out, and an upload's progress."""

from __future__ import annotations

from galleria.api.links import LinkBuilder
from galleria.api.models.jobs import JobErrorOut
from galleria.api.models.uploads import UploadOut, UploadStatusOut
from galleria.api.presenters.items import item_out
from galleria.domain.items import Item
from galleria.domain.uploads import Upload
from galleria.uploads.service import PresignedUpload


def upload_out(started: PresignedUpload) -> UploadOut:
    upload = started.upload
    return UploadOut(
        item_id=upload.item_id,
        upload_url=started.url,
        headers=started.headers,
        expires_at=upload.url_expires_at,
        status_url=f"/api/v1/gallery/uploads/{upload.item_id}",
    )


def upload_status_out(upload: Upload, item: Item | None, links: LinkBuilder) -> UploadStatusOut:
    return UploadStatusOut(
        item_id=upload.item_id,
        status=upload.status.value,
        filename=upload.filename,
        content_type=upload.content_type,
        size=upload.size,
        error=JobErrorOut(**upload.error.model_dump()) if upload.error else None,
        item=item_out(item, links) if item else None,
        created_at=upload.created_at,
        updated_at=upload.updated_at,
    )
