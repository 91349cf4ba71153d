"""Generation jobs: the images they made and their status document."""

from __future__ import annotations

from galleria.api.links import LinkBuilder
from galleria.api.models.generation import GenerateImageResponse, ImageOut, JobOut
from galleria.api.models.jobs import JobErrorOut
from galleria.domain.items import Rendition
from galleria.domain.jobs import ImageResult, Job, JobStatus
from galleria.storage import MediaStorage

TMP_LINK_SECONDS = 3600


def image_out(
    job: Job, image: ImageResult, links: LinkBuilder, storage: MediaStorage, inline: str | None = None
) -> ImageOut:
    if inline is not None or image.object_key is None:
        url, thumbnail = None, None
    elif image.gallery_id:
        url = links.media(job.team_id, image.gallery_id, Rendition.ORIGINAL)
        thumbnail = links.media(job.team_id, image.gallery_id, Rendition.THUMB_512)
    else:
        url = storage.presigned_get(image.object_key, seconds=TMP_LINK_SECONDS)
        thumbnail = (
            storage.presigned_get(image.thumbnail_key, seconds=TMP_LINK_SECONDS)
            if image.thumbnail_key
            else None
        )
    return ImageOut(
        url=url,
        thumbnail_url=thumbnail,
        text=image.text,
        mime_type=image.mime_type,
        file_size=image.file_size,
        width=image.width,
        height=image.height,
        gallery_id=image.gallery_id,
        image=inline,
    )


def generation_result(
    job: Job, links: LinkBuilder, storage: MediaStorage, inline: dict[int, str] | None = None
) -> GenerateImageResponse:
    """``inline``: base64 of images that could not be stored, by position (the contract's fallback)."""
    inline = inline or {}
    images = [image_out(job, image, links, storage, inline.get(i)) for i, image in enumerate(job.images)]
    return GenerateImageResponse(
        images=images, num_images=len(images), job_id=job.id, credits_charged=job.credits_charged
    )


def job_out(
    job: Job, links: LinkBuilder, storage: MediaStorage, inline: dict[int, str] | None = None
) -> JobOut:
    return JobOut(
        id=job.id,
        type=job.type.value,
        status=job.status.value,
        created_at=job.created_at,
        updated_at=job.updated_at,
        result=generation_result(job, links, storage, inline) if job.status is JobStatus.SUCCEEDED else None,
        error=JobErrorOut(**job.error.model_dump()) if job.error else None,
    )
