"""Domain → response mapping (URLs are built here, from the request's base URL)."""

from __future__ import annotations

from galleria.api.links import LinkBuilder
from galleria.api.schemas import (
    AccountOut,
    CollectionOut,
    FacetsOut,
    FailedIdOut,
    GalleryStorageOut,
    GenerateImageResponse,
    GenerationOut,
    ImageOut,
    ItemOut,
    JobErrorOut,
    JobOut,
    RateLimitOut,
    ShareOut,
    UploadOut,
    UploadStatusOut,
)
from galleria.domain.collections import Collection
from galleria.domain.items import Item, Rendition
from galleria.domain.jobs import ImageResult, Job, JobStatus
from galleria.domain.shares import Share
from galleria.domain.teams import Team
from galleria.domain.uploads import Upload
from galleria.items.service import GalleryFacets
from galleria.items.updates import ItemRefused
from galleria.storage import MediaStorage
from galleria.uploads.service import PresignedUpload

TMP_LINK_SECONDS = 3600


def format_bytes(size: int) -> str:
    value, unit = float(size), "B"
    for larger in ("KB", "MB", "GB", "TB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.0f} {unit}" if unit == "B" or value >= 10 else f"{value:.1f} {unit}"


def item_out(item: Item, links: LinkBuilder) -> ItemOut:
    return ItemOut(
        **item.model_dump(
            include={
                "id",
                "type",
                "prompt",
                "title",
                "model",
                "style_preset",
                "aspect_ratio",
                "seed",
                "width",
                "height",
                "mime_type",
                "file_size",
                "tags",
                "favorite",
                "collections",
                "visibility",
                "source",
                "parent_id",
                "rating",
                "archived",
                "sha256",
                "created_at",
                "updated_at",
                "deleted_at",
                "purge_at",
            }
        ),
        url=links.item_file(item, Rendition.ORIGINAL),
        thumbnail_url=links.item_thumbnail(item),
        generation=GenerationOut(**item.generation.model_dump()) if item.generation else None,
    )


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
    """``inline``: base64 of images that could not be stored, by position (seed 001's fallback)."""
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


def storage_out(team: Team) -> GalleryStorageOut:
    limit = team.limits.storage_bytes
    return GalleryStorageOut(
        used=team.storage_used,
        limit=limit,
        used_formatted=format_bytes(team.storage_used),
        limit_formatted=format_bytes(limit) if limit is not None else "Unlimited",
        item_count=team.item_count,
        plan=team.plan.value,
        trash_bytes=team.trash_bytes,
    )


def account_out(team: Team) -> AccountOut:
    return AccountOut(
        team_id=team.id,
        name=team.name,
        plan=team.plan.value,
        credits=team.credits,
        storage=storage_out(team),  # serialised as StorageOut: the account shows no plan or trash bytes
        rate_limit=RateLimitOut(requests_per_minute=team.limits.requests_per_minute),
        public_tags=team.public_tags,
    )


def collection_out(collection: Collection, links: LinkBuilder) -> CollectionOut:
    cover = collection.cover_item_id
    return CollectionOut(
        id=collection.id,
        name=collection.name,
        description=collection.description,
        item_count=collection.item_count,
        cover_url=links.media(collection.team_id, cover, Rendition.THUMB_512) if cover else None,
        created_at=collection.created_at,
        updated_at=collection.updated_at,
    )


def facets_out(facets: GalleryFacets) -> FacetsOut:
    counts = facets.counts
    return FacetsOut(
        total=counts.total,
        types=counts.types,
        favorites=counts.favorites,
        archived=counts.archived,
        trash=counts.trash,
        models=counts.models,
        tags=counts.tags,
        collections=facets.collections,
    )


def failed_out(failed: dict[str, ItemRefused]) -> list[FailedIdOut]:
    return [FailedIdOut(id=item_id, code=refusal.code) for item_id, refusal in failed.items()]


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


def share_out(share: Share, links: LinkBuilder) -> ShareOut:
    return ShareOut(
        **share.model_dump(
            include={
                "token",
                "expires_in",
                "expires_at",
                "allow_download",
                "show_metadata",
                "max_views",
                "views",
                "last_viewed_at",
                "failed_password_attempts",
                "created_at",
                "updated_at",
                "revoked_at",
            }
        ),
        share_url=links.share(share.token),
        password_protected=share.password_protected,
    )
