"""API function: generation requests, job status, the model catalogue, the team's account."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from galleria.accounts.repository import AccountsRepository
from galleria.api.app import create_resolver, current_principal, handle, json_response
from galleria.api.links import LinkBuilder, base_url
from galleria.api.presenters import account_out, generation_result, job_out
from galleria.api.schemas import (
    AccountOut,
    CapabilitiesOut,
    GenerateImageRequest,
    GenerateImageResponse,
    JobAccepted,
    JobId,
    JobOut,
    ModelOut,
    ModelsResponse,
    PriceQuote,
)
from galleria.auth import Principal
from galleria.catalog import ASPECT_RATIOS, MODELS, STYLE_PRESETS
from galleria.config import get_settings
from galleria.domain.jobs import JobStatus
from galleria.errors import GenerationFailed
from galleria.generation.service import GenerationService, Quote
from galleria.jobs.repository import JobsRepository
from galleria.storage import MediaStorage

logger = Logger()
metrics = Metrics()
app = create_resolver()

PUBLIC_ROUTES = frozenset({"GET /api/v1/models"})
CallerPrincipal = Annotated[Principal, Depends(current_principal)]


def _links() -> LinkBuilder:
    return LinkBuilder(base_url(app.current_event))


@app.post("/api/v1/generate-image")
def generate_image(
    body: GenerateImageRequest, principal: CallerPrincipal
) -> Response[GenerateImageResponse | JobAccepted | PriceQuote]:
    wait_seconds = 0.0 if body.async_ else _sync_wait_seconds()
    outcome = GenerationService().start(
        principal.team_id,
        body.to_spec(),
        source_image=body.source_image,
        dry_run=body.dry_run,
        wait_seconds=wait_seconds,
    )
    if isinstance(outcome, Quote):
        return json_response(200, PriceQuote(**outcome.__dict__))
    job = outcome
    metrics.add_metric(name="ImagesRequested", unit=MetricUnit.Count, value=job.num_images)
    if job.status is JobStatus.SUCCEEDED:
        return json_response(200, generation_result(job, _links(), MediaStorage()))
    if job.status is JobStatus.FAILED:
        reason = job.error.message if job.error else "the provider failed"
        raise GenerationFailed(f"Generation failed: {reason}. Credits were refunded.", jobId=job.id)
    accepted = JobAccepted(job_id=job.id, status=job.status.value, status_url=f"/api/v1/jobs/{job.id}")
    return json_response(202, accepted)


@app.get("/api/v1/jobs/<jobId>")
def get_job(job_id: Annotated[JobId, Path(alias="jobId")], principal: CallerPrincipal) -> JobOut:
    job = JobsRepository().get_for_team(principal.team_id, job_id)
    return job_out(job, _links(), MediaStorage())


@app.get("/api/v1/models")
def list_models() -> ModelsResponse:
    settings = get_settings()
    default = settings.effective_default_model
    return ModelsResponse(
        models=[
            ModelOut(
                id=m.id,
                provider=m.provider,
                speed=m.speed,
                best_for=m.best_for,
                available=m.available(settings),
                price_per_image=m.price_per_image,
                default=m.id == default,
                capabilities=CapabilitiesOut(
                    aspect_ratios=list(m.aspect_ratios),
                    max_images=m.max_images,
                    source_image=m.source_image,
                    edit=m.edit,
                    seed=m.seed,
                ),
            )
            for m in MODELS
        ],
        aspect_ratios=list(ASPECT_RATIOS),
        style_presets=list(STYLE_PRESETS),
    )


@app.get("/api/v1/account")
def get_account(principal: CallerPrincipal) -> AccountOut:
    return account_out(AccountsRepository().get_team(principal.team_id))


def _sync_wait_seconds() -> float:
    """Up to SYNC_WAIT_SECONDS, and always leave time to answer before the function times out."""
    remaining = app.lambda_context.get_remaining_time_in_millis() / 1000 - 2
    return max(0.0, min(get_settings().sync_wait_seconds, remaining))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context, public_routes=PUBLIC_ROUTES)
