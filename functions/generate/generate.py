"""API function: generation requests and remixes, job status, the model catalogue, the team's account."""

from __future__ import annotations

from galleria.cold_start import handler_loaded  # first: it pauses garbage collection

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from galleria.accounts.repository import AccountsRepository
from galleria.api.app import create_resolver, current_principal, handle
from galleria.api.docs import json_answer
from galleria.api.generation import generation_answer, inline_images, replay, replayable
from galleria.api.idempotency import Answer, idempotent_response
from galleria.api.links import LinkBuilder, base_url
from galleria.api.models.account import AccountOut, AccountPatchIn, LedgerOut
from galleria.api.models.catalog import ModelsResponse
from galleria.api.models.generation import GenerateImageRequest, GenerateImageResponse, JobOut, PriceQuote
from galleria.api.models.jobs import JobAccepted
from galleria.api.models.variants import (
    EditAccepted,
    EditIn,
    SessionOpened,
    SessionOut,
    SplitIn,
)
from galleria.api.paths import PathItemId, PathJobId, PathSessionId
from galleria.api.presenters.account import account_out, ledger_out
from galleria.api.presenters.catalog import models_out
from galleria.api.presenters.generation import job_out
from galleria.api.presenters.jobs import job_accepted
from galleria.api.presenters.variants import edit_accepted, session_opened, session_out
from galleria.auth import Principal
from galleria.config import get_settings
from galleria.domain.jobs import Job
from galleria.generation.service import GenerationService
from galleria.generation.variants import VariantsService
from galleria.jobs.repository import JobsRepository
from galleria.storage import MediaStorage

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=["botocore"])  # patching all would import httpx at cold start
app = create_resolver()

PUBLIC_ROUTES = frozenset({"GET /api/v1/models"})
CallerPrincipal = Annotated[Principal, Depends(current_principal)]


def _links() -> LinkBuilder:
    return LinkBuilder(base_url(app.current_event))


@app.post(
    "/api/v1/generate-image",
    responses={
        200: json_answer("The images (or, with dryRun, the price)", GenerateImageResponse | PriceQuote),
        202: json_answer("Queued: async, or not done within the wait", JobAccepted),
    },
)
def generate_image(
    body: GenerateImageRequest, principal: CallerPrincipal
) -> Response[GenerateImageResponse | JobAccepted | PriceQuote]:
    wait_seconds = 0.0 if body.async_ else _sync_wait_seconds()

    def generate() -> tuple[int, dict[str, Any]]:
        outcome = GenerationService().start(
            principal.team_id,
            body.to_spec(),
            source_image=body.source_image,
            dry_run=body.dry_run,
            wait_seconds=wait_seconds,
        )
        if isinstance(outcome, Job):
            metrics.add_metric(name="ImagesRequested", unit=MetricUnit.Count, value=outcome.num_images)
        return generation_answer(outcome, _links())

    return _idempotent("generate-image", principal, body.model_dump(mode="json"), generate)


@app.post(
    "/api/v1/gallery/<itemId>/remix",
    responses={
        200: json_answer("The new images", GenerateImageResponse),
        202: json_answer("Queued: not done within the wait", JobAccepted),
    },
)
def remix_item(
    item_id: PathItemId, principal: CallerPrincipal
) -> Response[GenerateImageResponse | JobAccepted]:
    def remix() -> tuple[int, dict[str, Any]]:
        job = GenerationService().remix(principal.team_id, item_id, wait_seconds=_sync_wait_seconds())
        return generation_answer(job, _links())

    return _idempotent("remix", principal, {"itemId": item_id}, remix)


# --- variants: edits (in sessions) and derived images -------------------------------------------


@app.post("/api/v1/gallery/<itemId>/edit", status_code=202)
def edit_item(item_id: PathItemId, body: EditIn, principal: CallerPrincipal) -> Response[EditAccepted]:
    def edit() -> tuple[int, dict[str, Any]]:
        job, session_id = VariantsService().edit(
            principal.team_id, item_id, body.prompt, body.model, body.session_id
        )
        return 202, edit_accepted(job, session_id).model_dump(by_alias=True)

    return _idempotent("edit", principal, {"itemId": item_id, **body.model_dump(mode="json")}, edit)


@app.post("/api/v1/gallery/<itemId>/open-in-chat", status_code=201)
def open_in_chat(item_id: PathItemId, principal: CallerPrincipal) -> SessionOpened:
    return session_opened(VariantsService().open_session(principal.team_id, item_id))


@app.get("/api/v1/sessions/<sessionId>")
def get_session(session_id: PathSessionId, principal: CallerPrincipal) -> SessionOut:
    return session_out(*VariantsService().session(principal.team_id, session_id))


@app.post("/api/v1/gallery/<itemId>/clean-background", status_code=202)
def clean_background(item_id: PathItemId, principal: CallerPrincipal) -> JobAccepted:
    return job_accepted(VariantsService().clean_background(principal.team_id, item_id))


@app.post("/api/v1/gallery/<itemId>/split", status_code=202)
def split_item(item_id: PathItemId, body: SplitIn, principal: CallerPrincipal) -> JobAccepted:
    return job_accepted(VariantsService().split(principal.team_id, item_id, body.rows, body.cols))


@app.get("/api/v1/jobs/<jobId>")
def get_job(job_id: PathJobId, principal: CallerPrincipal) -> JobOut:
    job = JobsRepository().get_for_team(principal.team_id, job_id)
    return job_out(job, _links(), MediaStorage(), inline_images(job))


@app.get("/api/v1/models")
def list_models() -> ModelsResponse:
    return models_out(get_settings())


@app.get("/api/v1/account")
def get_account(principal: CallerPrincipal) -> AccountOut:
    return account_out(AccountsRepository().get_team(principal.team_id))


@app.patch("/api/v1/account")
def patch_account(body: Annotated[AccountPatchIn, Body()], principal: CallerPrincipal) -> AccountOut:
    """Team settings: ``publicTags`` lets the public feed show the team's tags."""
    return account_out(AccountsRepository().set_public_tags(principal.team_id, body.public_tags))


@app.get("/api/v1/account/ledger")
def get_ledger(
    principal: CallerPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> LedgerOut:
    return ledger_out(*AccountsRepository().ledger.list(principal.team_id, limit=limit, cursor=cursor))


def _idempotent(
    operation: str, principal: Principal, payload: dict[str, Any], produce: Callable[[], Answer]
) -> Response[Any]:
    """Answer once per Idempotency-Key: a retry with the key gets the stored answer."""
    return idempotent_response(
        app, operation, principal.team_id, payload, produce, keep=replayable, replay=replay
    )


def _sync_wait_seconds() -> float:
    """Up to SYNC_WAIT_SECONDS, and always leave time to answer before the function times out."""
    remaining = app.lambda_context.get_remaining_time_in_millis() / 1000 - 2
    return max(0.0, min(get_settings().sync_wait_seconds, remaining))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context, public_routes=PUBLIC_ROUTES)


handler_loaded()
