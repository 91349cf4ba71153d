"""The API side of generation: check the request, price it, reserve credits, queue the job."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from galleria import clock, ids, observability
from galleria.accounts.rate_limits import RateLimiter
from galleria.accounts.repository import AccountsRepository
from galleria.catalog import ModelInfo, find_model
from galleria.collection_records import CollectionsRepository
from galleria.config import get_settings
from galleria.domain.items import Rendition
from galleria.domain.jobs import Job, JobType
from galleria.domain.teams import Team
from galleria.errors import Conflict, InvalidImage, InvalidRequest, ModelUnavailable, StorageQuotaExceeded
from galleria.generation.spec import GenerationSpec
from galleria.items.repository import ItemsRepository
from galleria.jobs.queueing import send_job
from galleria.jobs.repository import JobsRepository
from galleria.storage import MediaStorage, mime_type_of, tmp_object_key
from galleria.transactions import TransactionCancelled, transact_write

SOURCE_IMAGE_MAX_BYTES = 10 * 1024 * 1024
SOURCE_IMAGE_MAX_PIXELS = 40_000_000
# What one generated image adds to storage, for the quota check before generating: a ~1 MP PNG
# original (1-2 MB) plus its two WebP thumbnails. The exact size is counted when the item is stored.
ESTIMATED_BYTES_PER_IMAGE = 2 * 1024 * 1024


@dataclass(frozen=True)
class Quote:
    credits_required: int
    balance: int
    model: str
    num_images: int


@dataclass(frozen=True)
class SourceImage:
    data: bytes
    mime_type: str


def resolve_model(model_id: str | None) -> ModelInfo:
    settings = get_settings()
    model_id = model_id or settings.effective_default_model
    model = find_model(model_id)
    if model is None:
        raise InvalidRequest(
            f"Unknown model '{model_id}'; GET /api/v1/models lists the models", code="invalid_model"
        )
    if not model.available(settings):
        raise ModelUnavailable(
            f"Model {model.id} is not configured in this deployment (its provider key is not set)"
        )
    return model


def check_capabilities(model: ModelInfo, spec: GenerationSpec) -> None:
    if spec.num_images > model.max_images:
        raise InvalidRequest(f"Invalid field 'numImages': {model.id} makes at most {model.max_images} images")
    if spec.aspect_ratio not in model.aspect_ratios:
        raise InvalidRequest(f"Invalid field 'aspectRatio': {model.id} does not support {spec.aspect_ratio}")
    if (spec.source_image or spec.source_item_id) and not model.source_image:
        raise InvalidRequest(f"{model.id} does not accept a source image", code="invalid_image")
    if spec.seed is not None and not model.seed:
        raise InvalidRequest(
            f"Invalid field 'seed': {model.id} does not take a seed "
            "(GET /api/v1/models shows which models do)"
        )


def check_storage_quota(team: Team, new_images: int) -> None:
    """413 when the images about to be made would take the gallery past the plan's storage."""
    limit = team.limits.storage_bytes
    if limit is not None and team.storage_used + new_images * ESTIMATED_BYTES_PER_IMAGE > limit:
        raise StorageQuotaExceeded(used=team.storage_used, limit=limit)


class GenerationService:
    def __init__(
        self,
        accounts: AccountsRepository | None = None,
        jobs: JobsRepository | None = None,
        items: ItemsRepository | None = None,
        storage: MediaStorage | None = None,
        rate_limiter: RateLimiter | None = None,
        collections: CollectionsRepository | None = None,
    ) -> None:
        self.accounts = accounts or AccountsRepository()
        self.collections = collections or CollectionsRepository()
        self.rate_limiter = rate_limiter or RateLimiter()
        self.jobs = jobs or JobsRepository()
        self.items = items or ItemsRepository()
        self.storage = storage or MediaStorage()

    def start(
        self,
        team_id: str,
        spec: GenerationSpec,
        *,
        source_image: str | None,
        dry_run: bool,
        wait_seconds: float,
    ) -> Quote | Job:
        """A price quote (dry run), or the queued job — finished if it finished within ``wait_seconds``
        of this call."""
        started = time.monotonic()
        model = resolve_model(spec.model)
        spec = spec.model_copy(update={"model": model.id})
        check_capabilities(model, spec)
        # Decoded first: a bad image is refused before a quote and before the rate limit counts it.
        source = decode_source_image(source_image) if source_image else None
        if dry_run:
            return self.quote(team_id, model, spec)
        self.admit(team_id, spec)
        job = self.submit(team_id, spec, source, price_per_image=model.price_per_image)
        return self._wait_rest(job, wait_seconds, started)

    def remix(self, team_id: str, item_id: str, *, wait_seconds: float) -> Job:
        """One new image from the item's recorded request, with a new seed where the model takes one."""
        started = time.monotonic()
        item = self.items.get(team_id, item_id)
        if item.generation is None:
            raise Conflict(f"Item {item_id} was not generated, so it has no request to remix")
        recorded = GenerationSpec.model_validate(item.generation.request)
        model = resolve_model(recorded.model)
        spec = recorded.model_copy(
            update={"num_images": 1, "seed": secrets.randbelow(2**32) if model.seed else None}
        )
        check_capabilities(model, spec)
        source = None
        if spec.source_image:
            if Rendition.SOURCE not in item.object_keys:
                raise Conflict(f"The source image item {item_id} was made from is no longer kept")
            data = self.storage.get(item.object_keys[Rendition.SOURCE])
            source = SourceImage(data=data, mime_type=mime_type_of(item.object_keys[Rendition.SOURCE]))
        self.admit(team_id, spec)
        job = self.submit(team_id, spec, source, price_per_image=model.price_per_image)
        return self._wait_rest(job, wait_seconds, started)

    def admit(self, team_id: str, spec: GenerationSpec) -> None:
        """The plan's limits, checked before anything is charged: requests per minute, storage."""
        team = self.accounts.get_team(team_id)
        self.rate_limiter.take(team_id, team.limits.requests_per_minute)
        if spec.save_to_gallery:  # images not saved live a day under tmp/ and count for nothing
            check_storage_quota(team, spec.num_images)

    def quote(self, team_id: str, model: ModelInfo, spec: GenerationSpec) -> Quote:
        team = self.accounts.get_team(team_id)
        return Quote(
            credits_required=model.price_per_image * spec.num_images,
            balance=team.credits,
            model=model.id,
            num_images=spec.num_images,
        )

    def submit(
        self,
        team_id: str,
        spec: GenerationSpec,
        source: SourceImage | None,
        *,
        price_per_image: int,
        job_type: JobType = JobType.GENERATE,
        extra_ops: Callable[[str], list[dict[str, Any]]] | None = None,
    ) -> Job:
        """Reserve the credits and create the job in one transaction, then queue it. ``extra_ops``
        (given the job id) adds records that must exist exactly when the job does."""
        if spec.source_item_id:
            source_item = self.items.get(team_id, spec.source_item_id)  # another team's: not found
            if source_item.type != "image":
                raise InvalidImage(
                    f"sourceItemId {spec.source_item_id} is a {source_item.type}; use an image"
                )
        if spec.collection_id:
            self.collections.get(team_id, spec.collection_id)
        cost = price_per_image * spec.num_images
        now = clock.now()
        job_id = ids.new_id(ids.JOB)
        at_ms = int(now.timestamp() * 1000)
        source_key = tmp_object_key(team_id, job_id, "source") if source is not None else None
        job = Job(
            id=job_id,
            team_id=team_id,
            type=job_type,
            created_at=clock.iso(now),
            updated_at=clock.iso(now),
            request=spec.as_record(),
            model=spec.model,
            num_images=spec.num_images,
            price_per_image=price_per_image,
            credits_reserved=cost,
            # Item ids are fixed up front so a redelivered job finds the items it already made.
            item_ids=[ids.new_id(ids.ITEM, at_ms=at_ms) for _ in range(spec.num_images)]
            if spec.save_to_gallery
            else [],
            save_to_gallery=spec.save_to_gallery,
            source_key=source_key,
        )
        if source is not None and source_key is not None:
            # Stored before the job exists: if the transaction fails, tmp/ expiry removes it.
            self.storage.put(source_key, source.data, source.mime_type)
        charge = self.accounts.charge_ops(team_id, job_id, cost) if cost else []  # derived images are free
        extra = extra_ops(job_id) if extra_ops else []
        try:
            transact_write([*charge, self.jobs.put_new_op(job), *extra])
        except TransactionCancelled as exc:
            if charge and exc.failed_condition(0):
                raise self.accounts.insufficient_credits(exc.reasons[0], cost) from exc
            raise
        observability.credits_charged(cost)
        self._enqueue(job)
        return job

    def _enqueue(self, job: Job) -> None:
        refund = (
            self.accounts.refund_ops(job.team_id, job.id, job.credits_reserved)
            if job.credits_reserved
            else []
        )
        send_job(
            job,
            get_settings().generation_queue_url,
            self.jobs,
            refund,
            on_failure_recorded=lambda: observability.credits_refunded(job.credits_reserved),
        )

    def wait(self, job: Job, timeout_seconds: float) -> Job:
        return self.jobs.wait(job, timeout_seconds)

    def _wait_rest(self, job: Job, wait_seconds: float, started: float) -> Job:
        """Wait for the job what is left of ``wait_seconds`` since ``started``: checking and queueing
        it (slow when AWS throttles) come out of the caller's time, so the answer is still in time."""
        if wait_seconds <= 0:
            return job
        return self.wait(job, max(0.0, wait_seconds - (time.monotonic() - started)))


def decode_source_image(data_url: str) -> SourceImage:
    """Decode and check a ``data:`` URL: real image, allowed type, size and pixel limits."""
    from galleria.imaging.decode import open_image, parse_data_url

    try:
        mime_type, data = parse_data_url(data_url, max_bytes=SOURCE_IMAGE_MAX_BYTES)
        open_image(data, max_bytes=SOURCE_IMAGE_MAX_BYTES, max_pixels=SOURCE_IMAGE_MAX_PIXELS)
    except InvalidImage as error:
        raise InvalidImage(f"Invalid field 'sourceImage': {error.message}") from error
    return SourceImage(data=data, mime_type=mime_type)
