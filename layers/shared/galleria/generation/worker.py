"""The job side of generation: run the provider, store originals and thumbnails, create items.

Everything here is safe to run twice for the same job (SQS delivers at least once): item ids
are fixed on the job, items are created with a condition, and the outcome — with its refund —
is recorded by one conditional transaction.

A provider failure that may pass (outage, rate limit, timeout) is not final until the queue's last
delivery: the worker raises RetryLater, SQS delivers the job again after the visibility timeout,
and the images already made are found, not made again. Anything else (a safety block, a bad
request) fails that image at once, and its credits are refunded.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from galleria import clock, observability
from galleria.accounts.repository import AccountsRepository
from galleria.catalog import find_model
from galleria.domain.items import GenerationRecord, Item, Rendition
from galleria.domain.jobs import ImageResult, Job, JobError, JobStatus, JobType
from galleria.domain.teams import Team
from galleria.generation.spec import GenerationSpec
from galleria.imaging.formats import MIME_BY_FORMAT
from galleria.items.changes import Change
from galleria.items.repository import ItemsRepository
from galleria.items.writer import ItemWriter
from galleria.jobs.repository import JobsRepository
from galleria.providers.base import ImageProvider, ProviderError, ProviderImage, ProviderRequest
from galleria.providers.derived import PROVIDER as DERIVED_PROVIDER
from galleria.providers.derived import derived_provider
from galleria.providers.registry import provider_for
from galleria.sessions.repository import SessionsRepository
from galleria.storage import MediaStorage, StorageUnavailable, item_object_key, tmp_object_key
from galleria.transactions import TransactionCancelled, transact_write

logger = Logger(child=True)

THUMBNAIL_SIZES = (512, 256)
STORAGE_FAILED = "storage_failed"
# Raw bytes of inline images one job may return: 4/3 of it in base64 stays under Lambda's 6 MB.
INLINE_MAX_BYTES = 4 * 1024 * 1024
EDIT_SOURCE_MAX_BYTES = 4 * 1024 * 1024  # what OpenAI's edit endpoint takes; the others take less


@dataclass(frozen=True)
class _Target:
    """Where a job's items go: the team (its plan decides their visibility) and its collections,
    and the title they carry (a derived image keeps its source's: the same picture, changed)."""

    team: Team
    collections: tuple[str, ...]
    title: str | None = None


class RetryLater(Exception):
    """Some images hit a passing provider failure: the queue should deliver the job again."""


class GaveUp(Exception):
    """The last delivery still met failures that were not the request's fault (a provider outage,
    a bug). Those images are recorded as failed and refunded; raising sends the message on to the
    dead-letter queue, whose alarm tells a human."""


def base_seed(job: Job, spec: GenerationSpec) -> int:
    """The asked seed, or one derived from the job id so a redelivery draws the same images."""
    if spec.seed is not None:
        return spec.seed
    return int.from_bytes(hashlib.sha256(job.id.encode()).digest()[:4], "big")


class GenerationWorker:
    def __init__(
        self,
        jobs: JobsRepository | None = None,
        items: ItemsRepository | None = None,
        accounts: AccountsRepository | None = None,
        storage: MediaStorage | None = None,
        providers: Callable[[str], ImageProvider] | None = None,
    ) -> None:
        self.jobs = jobs or JobsRepository()
        self.items = items or ItemsRepository()
        self.accounts = accounts or AccountsRepository()
        self.storage = storage or MediaStorage()
        self.writer = ItemWriter(self.items.table, accounts=self.accounts)
        self.sessions = SessionsRepository(self.items.table)
        self.providers = providers or provider_for
        self._inline_lock = threading.Lock()
        self._inline_bytes = 0
        self._provider_failures: list[ProviderError] = []  # appended from the image threads

    def run(self, job_id: str, *, final_attempt: bool = True) -> Job | None:
        """Make the job's images. Not on the ``final_attempt``, passing provider failures raise
        RetryLater instead of failing their images."""
        claim = self.jobs.claim(job_id, clock.now_iso())
        if claim.job is None:
            logger.warning("job not found, message dropped", job_id=job_id)
            return None
        job = claim.job
        if not claim.running:
            logger.info("job already finished", job_id=job_id)
            return job
        spec = GenerationSpec.model_validate(job.request)
        # The item the job starts from (an uploaded source image in tmp/ takes its place).
        source_item = (
            self.items.find(job.team_id, spec.source_item_id)
            if spec.source_item_id and not job.source_key
            else None
        )
        target = _Target(
            self.accounts.get_team(job.team_id),
            self._collections_to_join(job, spec),
            title=source_item.title if spec.derive and source_item else None,
        )
        provider = (
            derived_provider(spec.derive, spec.rows, spec.cols) if spec.derive else self.providers(job.model)
        )
        source = self._source_bytes(job, source_item)
        seed = base_seed(job, spec)

        gave_up: list[Exception] = []

        def make(index: int) -> ImageResult | JobError | ProviderError:
            if spec.parent_id and source is None:  # deleted for good while queued: refunded
                return JobError(code="source_missing", message="The image to start from no longer exists")
            request = ProviderRequest(
                prompt=spec.prompt,
                aspect_ratio=spec.aspect_ratio,
                style_preset=spec.style_preset,
                seed=(seed + index) % 2**32,
                source_image=source,
                source_mime_type=_mime_type(source) if source else None,
                index=index,
            )
            try:
                if claim.resumed and job.save_to_gallery:  # an earlier delivery may have made it
                    existing = self.items.find(job.team_id, job.item_ids[index])
                    if existing is not None:
                        return _result_from_item(existing, text=None)
                return self._make_image(job, spec, target, provider, request, index, source)
            except ProviderError as exc:
                if exc.retryable and not final_attempt:
                    logger.warning("image will be retried", job_id=job.id, index=index, reason=str(exc))
                    return exc
                if exc.retryable:
                    gave_up.append(exc)
                logger.warning("image failed", job_id=job.id, index=index, code=exc.code, reason=str(exc))
                return JobError(code=exc.code, message=str(exc))
            except Exception as exc:
                if not final_attempt:
                    raise  # the whole job comes back; images already made are found, not remade
                logger.exception("image failed on the last delivery", job_id=job.id, index=index)
                gave_up.append(exc)
                return JobError(code="internal_error", message="The image could not be made")

        try:
            with ThreadPoolExecutor(max_workers=min(4, job.num_images)) as pool:
                outcomes = list(pool.map(make, range(job.num_images)))
        finally:  # counted even when an image's exception sends the whole job back to the queue
            observability.provider_failures(_provider_name(job, spec), len(self._provider_failures))
        for collection_id in target.collections:  # once for all the job's images
            self.writer.collections.refresh_cover(job.team_id, collection_id)
        passing = [outcome for outcome in outcomes if isinstance(outcome, ProviderError)]
        if passing:
            raise RetryLater(f"{len(passing)} of {job.num_images} images will be retried: {passing[0]}")
        finished = self._finish(job, [o for o in outcomes if not isinstance(o, ProviderError)])
        if gave_up:
            raise GaveUp(f"{len(gave_up)} of {job.num_images} images failed for good: {gave_up[0]}")
        return finished

    def fail(self, job_id: str, message: str) -> None:
        """Give up on a job (last delivery of a message that kept failing): the images an earlier
        delivery made stay in the job and are charged; every other image is refunded."""
        job = self.jobs.find(job_id)
        if job is None or job.status.finished:
            return
        made = {item.id: item for item in self.items.find_many(job.team_id, job.item_ids)}
        outcomes: list[ImageResult | JobError] = [
            _result_from_item(made[item_id], text=None)
            if item_id in made
            else JobError(code="generation_failed", message=message)
            for item_id in job.item_ids
        ] or [JobError(code="generation_failed", message=message)] * job.num_images
        self._finish(job, outcomes)

    # --- one image ---------------------------------------------------------------------
    def _make_image(
        self,
        job: Job,
        spec: GenerationSpec,
        target: _Target,
        provider: ImageProvider,
        request: ProviderRequest,
        index: int,
        source: bytes | None,
    ) -> ImageResult:
        try:
            image = provider.generate(request)
        except ProviderError as exc:
            if exc.code == ProviderError.code:  # not a refusal (a safety block, an unusable source)
                self._provider_failures.append(exc)
            raise
        try:
            if not job.save_to_gallery:
                return self._store_tmp(job, image, index)
            return self._store_item(job, spec, target, image, job.item_ids[index], source)
        except StorageUnavailable as exc:
            logger.error("storing failed, image kept inline", job_id=job.id, index=index, reason=str(exc))
            return self._keep_inline(job, image, index)

    def _keep_inline(self, job: Job, image: ProviderImage, index: int) -> ImageResult:
        """The provider's image survives an S3 failure: the answer carries it as base64.

        Only as many bytes as fit one Lambda response (6 MB, base64) are kept; an image beyond that
        fails as storage_failed and is refunded rather than charged and unreachable.
        """
        from galleria.imaging.convert import image_info

        with self._inline_lock:
            if self._inline_bytes + len(image.data) > INLINE_MAX_BYTES:
                raise ProviderError("Storage failed and the image is too large to return inline")
            self._inline_bytes += len(image.data)
        info = image_info(image.data)
        return ImageResult(
            mime_type=image.mime_type,
            file_size=len(image.data),
            width=info.width,
            height=info.height,
            text=image.text,
            inline_chunks=self.jobs.put_inline_image(job.id, index, image.data),
            inline_index=index,
        )

    def _store_tmp(self, job: Job, image: ProviderImage, index: int) -> ImageResult:
        from galleria.imaging.convert import image_info
        from galleria.imaging.thumbnails import make_thumbnails

        info = image_info(image.data)
        key = tmp_object_key(job.team_id, job.id, f"{index}.{info.format.lower()}")
        thumb_key = tmp_object_key(job.team_id, job.id, f"{index}-thumb-512.webp")
        self.storage.put(key, image.data, image.mime_type)
        self.storage.put(thumb_key, make_thumbnails(image.data, sizes=(512,))[512], "image/webp")
        return ImageResult(
            object_key=key,
            thumbnail_key=thumb_key,
            mime_type=image.mime_type,
            file_size=len(image.data),
            width=info.width,
            height=info.height,
            text=image.text,
        )

    def _store_item(
        self,
        job: Job,
        spec: GenerationSpec,
        target: _Target,
        image: ProviderImage,
        item_id: str,
        source: bytes | None,
    ) -> ImageResult:
        from galleria.imaging.convert import image_info
        from galleria.imaging.thumbnails import make_thumbnails

        info = image_info(image.data)
        thumbnails = make_thumbnails(image.data, sizes=THUMBNAIL_SIZES)
        keys = {
            Rendition.ORIGINAL: item_object_key(job.team_id, item_id, Rendition.ORIGINAL, image.mime_type)
        }
        self.storage.put(keys[Rendition.ORIGINAL], image.data, image.mime_type)
        for size, data in thumbnails.items():
            rendition = Rendition(f"thumb-{size}")
            keys[rendition] = item_object_key(job.team_id, item_id, rendition, "image/webp")
            self.storage.put(keys[rendition], data, "image/webp")
        stored_bytes = len(image.data) + sum(len(t) for t in thumbnails.values())
        if source is not None and spec.source_image:
            # An uploaded source lives in tmp/ for a day only; the item keeps it so remix can use it.
            source_type = _mime_type(source)
            keys[Rendition.SOURCE] = item_object_key(job.team_id, item_id, Rendition.SOURCE, source_type)
            self.storage.put(keys[Rendition.SOURCE], source, source_type)
            stored_bytes += len(source)
        now = clock.now_iso()
        item = Item(
            id=item_id,
            team_id=job.team_id,
            prompt=spec.prompt,
            title=target.title,
            model=job.model,
            style_preset=spec.style_preset,
            aspect_ratio=spec.aspect_ratio,
            seed=image.seed_used,
            width=info.width,
            height=info.height,
            mime_type=image.mime_type,
            file_size=len(image.data),
            tags=spec.gallery_tags,
            collections=list(target.collections),
            visibility=target.team.limits.default_visibility,
            source=_item_source(spec),
            parent_id=spec.parent_id,
            sha256=hashlib.sha256(image.data).hexdigest(),
            generation=GenerationRecord(
                provider=image.provider,
                model_version=image.model_version,
                request=spec.as_record(),
                seed_used=image.seed_used,
                provider_request_id=image.provider_request_id,
                reproducible=image.reproducible,
            ),
            object_keys=keys,
            storage_bytes=stored_bytes,
            created_at=now,
            updated_at=now,
        )
        try:
            self.writer.write(job.team_id, [Change(None, item)], covers=False)
        except TransactionCancelled as exc:
            if not exc.failed_condition(0):
                raise
            item = self.items.get(job.team_id, item_id)  # made by an earlier delivery
        return _result_from_item(item, text=image.text)

    def _collections_to_join(self, job: Job, spec: GenerationSpec) -> tuple[str, ...]:
        """The asked collection, unless it was deleted while the job was queued (its images are
        then stored without it): read once for all the job's images."""
        if not job.save_to_gallery or not spec.collection_id:
            return ()
        return tuple(self.writer.collections.find_many(job.team_id, [spec.collection_id]))

    def _source_bytes(self, job: Job, item: Item | None) -> bytes | None:
        """The uploaded source (tmp/), else the source item's original (a remix of an item made
        from an upload reads the source that item kept)."""
        if job.source_key:
            return self.storage.get(job.source_key)
        if item is None:
            return None
        original = self.storage.get(item.object_keys[Rendition.ORIGINAL])
        if job.type is JobType.EDIT:  # edit APIs take a PNG of at most 4 MB
            from galleria.imaging.convert import png_within

            return png_within(original, EDIT_SOURCE_MAX_BYTES)
        if item.mime_type not in MIME_BY_FORMAT.values():  # an uploaded GIF: providers take its first frame
            from galleria.imaging.convert import convert_image

            original, _ = convert_image(original, "png")
        return original

    # --- outcome -----------------------------------------------------------------------
    def _finish(self, job: Job, outcomes: list[ImageResult | JobError]) -> Job:
        images = [o for o in outcomes if isinstance(o, ImageResult)]
        errors = [o for o in outcomes if isinstance(o, JobError)]
        if any(image.inline_chunks for image in images):
            errors.append(
                JobError(
                    code=STORAGE_FAILED,
                    message="Storage failed: the images are returned inline (base64) and not saved",
                )
            )
        refund = sum(error.code != STORAGE_FAILED for error in errors) * job.price_per_image
        finished = job.model_copy(
            update={
                "status": JobStatus.SUCCEEDED if images else JobStatus.FAILED,
                "updated_at": clock.now_iso(),
                "images": images,
                "credits_charged": job.credits_reserved - refund,
                "error": _job_error(images, errors),
            }
        )
        spec = _readable_spec(job)
        turn = []
        if spec and spec.session_id and spec.turn is not None:  # the session's turn settles with its job
            variant = images[0].gallery_id if images else None
            turn = [
                self.sessions.settle_turn_op(
                    job.team_id, spec.session_id, spec.turn, finished.status, variant, finished.updated_at
                )
            ]
        self._record(finished, refund=refund, extra=turn)
        logger.info(
            "job finished", job_id=job.id, status=finished.status, images=len(images), refunded=refund
        )
        return finished

    def _record(self, job: Job, *, refund: int, extra: list[dict[str, Any]]) -> None:
        parts = [self.jobs.finish_op(job), *extra]
        if refund:
            parts.extend(self.accounts.refund_ops(job.team_id, job.id, refund))
        try:
            transact_write(parts)
        except TransactionCancelled as exc:
            if not exc.failed_condition(0):
                raise
            logger.info("job outcome already recorded", job_id=job.id)
            return
        observability.images_generated(sum(image.object_key is not None for image in job.images))
        observability.credits_refunded(refund)


def _provider_name(job: Job, spec: GenerationSpec) -> str:
    """The provider behind the job's images, as the catalogue names it (derived images: ours)."""
    if spec.derive:
        return DERIVED_PROVIDER
    model = find_model(job.model)
    return model.provider if model else job.model


def _readable_spec(job: Job) -> GenerationSpec | None:
    """The job's request, or None when this code cannot read it (a record another release wrote):
    such a job must still be settled, failed and refunded, or it would hold its credits for good."""
    try:
        return GenerationSpec.model_validate(job.request)
    except ValidationError:
        logger.error("job request unreadable: settled without its session turn", job_id=job.id)
        return None


def _item_source(spec: GenerationSpec) -> str:
    if spec.derive:
        return "derived"
    return "edited" if spec.parent_id else "generated"


def _job_error(images: list[ImageResult], errors: list[JobError]) -> JobError | None:
    """The job's error: the failure when nothing was made, else a storage failure if any."""
    if not images:
        return errors[0] if errors else None
    return next((error for error in errors if error.code == STORAGE_FAILED), None)


def _mime_type(data: bytes) -> str:
    from galleria.imaging.formats import sniff_mime_type

    return sniff_mime_type(data) or "application/octet-stream"


def _result_from_item(item: Item, *, text: str | None) -> ImageResult:
    assert item.width is not None, "a generated image has its size"
    assert item.height is not None, "a generated image has its size"
    return ImageResult(
        gallery_id=item.id,
        object_key=item.object_keys[Rendition.ORIGINAL],
        thumbnail_key=item.object_keys.get(Rendition.THUMB_512),
        mime_type=item.mime_type,
        file_size=item.file_size,
        width=item.width,
        height=item.height,
        text=text,
    )
