"""The HTTP answer to a generation request (generate-image and remix share it).

200 with the images when the job finished in time, 202 with the job otherwise, 200 with a price
quote for a dry run; a failed job raises: 400 ``content_policy`` for a safety block, else 502.
"""

from __future__ import annotations

import base64
from typing import Any

from pydantic import BaseModel

from galleria.api.links import LinkBuilder
from galleria.api.models.generation import PriceQuote
from galleria.api.presenters.generation import generation_result
from galleria.api.presenters.jobs import job_accepted
from galleria.domain.jobs import Job, JobStatus
from galleria.errors import ContentPolicyBlocked, GenerationFailed
from galleria.generation.service import Quote
from galleria.jobs.repository import JobsRepository
from galleria.storage import MediaStorage

CONTENT_POLICY = "content_policy"


def generation_answer(outcome: Quote | Job, links: LinkBuilder) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) for what GenerationService.start returned."""
    if isinstance(outcome, Quote):
        return 200, _json(PriceQuote(**outcome.__dict__))
    job = outcome
    if job.status is JobStatus.SUCCEEDED:
        result = generation_result(job, links, MediaStorage(), inline_images(job))
        return 200, _json(result)
    if job.status is JobStatus.FAILED:
        raise failure_error(job)
    return 202, _json(job_accepted(job))


def failure_error(job: Job) -> ContentPolicyBlocked | GenerationFailed:
    reason = job.error.message if job.error else "the provider failed"
    if job.error and job.error.code == CONTENT_POLICY:
        return ContentPolicyBlocked(
            f"The provider's safety system blocked this request: {reason}. Credits were refunded.",
            jobId=job.id,
        )
    return GenerationFailed(f"Generation failed: {reason}. Credits were refunded.", jobId=job.id)


def inline_images(job: Job) -> dict[int, str]:
    """Base64 of the images kept with the job because storing them failed, by position."""
    jobs = JobsRepository()
    # Positions in the answer can differ from the images' numbers in the job when some failed.
    kept = {
        position: jobs.inline_image(job.id, image.inline_index, image.inline_chunks)
        for position, image in enumerate(job.images)
        if image.inline_chunks
    }
    return {index: base64.b64encode(data).decode() for index, data in kept.items() if data is not None}


def replayable(answer: tuple[int, dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """What an idempotency record keeps: the answer without inline image bytes, which can pass
    DynamoDB's 400 KB item limit; ``replay`` reads them back from the job."""
    status, body = answer
    images = body.get("images") or []
    if not any("image" in image for image in images):
        return answer
    kept = [{name: value for name, value in image.items() if name != "image"} for image in images]
    return status, {**body, "images": kept, "inlineImages": True}


def replay(answer: tuple[int, dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    status, body = answer
    if not body.pop("inlineImages", False):
        return answer
    job = JobsRepository().find(body["jobId"])
    inline = inline_images(job) if job else {}
    for index, image in enumerate(body["images"]):
        if index in inline:
            image["image"] = inline[index]
    return status, body


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)
