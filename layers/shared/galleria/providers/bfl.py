"""Black Forest Labs FLUX.1 Kontext: submit a job, poll it until Ready, download the signed sample."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from pydantic import BaseModel

from galleria.config import get_settings
from galleria.imaging.formats import MIME_BY_FORMAT, sniff_format
from galleria.providers.base import (
    ContentPolicyViolation,
    ProviderEndpoint,
    ProviderError,
    ProviderImage,
    ProviderRequest,
)
from galleria.providers.prompts import styled_prompt
from galleria.providers.transport import (
    ApiProfile,
    Budget,
    ProviderHttp,
    check_fetch_url,
    read_model,
    shared_http,
)

NAME = "BFL"
# The provider's documented domains: polling URLs and result samples must be on one of them.
DOMAINS = ("bfl.ai", "bfl.ml")
READ_TIMEOUT_SECONDS = 60.0
SAFETY_TOLERANCE = 2  # the default, and the most lenient value allowed with an input image
MODERATED = {
    "Request Moderated": "the prompt or source image",
    "Content Moderated": "the generated image",
}
FAILED = frozenset({"Error", "Task not found"})


class _Submission(BaseModel):
    id: str
    polling_url: str | None = None


class _Result(BaseModel):
    sample: str | None = None
    seed: int | None = None


class _Poll(BaseModel):
    status: str
    result: _Result | None = None
    details: Any = None


def _describe(response: httpx.Response) -> str:
    """FastAPI-style bodies: ``detail`` (a string or a list of field errors), else message or error."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return str(response.status_code)
    detail = body.get("detail") or body.get("message") or body.get("error")
    if isinstance(detail, list):
        detail = "; ".join(
            f"{'.'.join(str(loc) for loc in item.get('loc', [])[1:])}: {item.get('msg')}"
            if isinstance(item, dict)
            else str(item)
            for item in detail
        )
    return f"{response.status_code}: {detail}" if detail else str(response.status_code)


API = ApiProfile(name=NAME, describe=_describe)


class BflProvider:
    def __init__(
        self,
        api_model: str,
        endpoint: ProviderEndpoint,
        *,
        http: ProviderHttp | None = None,
        poll_interval: float | None = None,
    ) -> None:
        self.api_model = api_model
        self.endpoint = endpoint
        self._http = http or shared_http()
        settings = get_settings()
        self._poll_interval = settings.bfl_poll_interval_seconds if poll_interval is None else poll_interval

    def generate(self, request: ProviderRequest) -> ProviderImage:
        budget = self._http.start_budget()
        job = self._submit(request, budget)
        sample, seed = self._wait(job, budget)
        data, mime_type = self._download(sample, budget)
        return ProviderImage(
            data=data,
            mime_type=mime_type,
            provider=self.endpoint.label,
            model_version=self.api_model,
            seed_used=seed if seed is not None else request.seed,
            provider_request_id=job.id,
            reproducible=request.seed is not None,
        )

    def _submit(self, request: ProviderRequest, budget: Budget) -> _Submission:
        body: dict[str, Any] = {
            "prompt": styled_prompt(request.prompt, request.style_preset),
            # Kontext takes any ratio from 21:9 to 9:21, so every ratio we offer is sent as is.
            "aspect_ratio": request.aspect_ratio,
            "output_format": "png",
            "safety_tolerance": SAFETY_TOLERANCE,
        }
        if request.seed is not None:
            body["seed"] = request.seed
        if request.source_image is not None:
            body["input_image"] = base64.b64encode(request.source_image).decode("ascii")
        response = self._http.send(
            "POST",
            f"{self.endpoint.base_url}/v1/{self.api_model}",
            api=API,
            budget=budget,
            read_timeout=READ_TIMEOUT_SECONDS,
            headers=self._auth,
            json=body,
            retry_server_errors=False,
        )
        if response.status_code == 402:
            raise ProviderError(
                "The BFL account is out of credits (402); an administrator needs to add credits"
            )
        if response.is_server_error:
            # The job may have been created (and billed) before the error: it is neither resubmitted
            # here nor marked retryable, which would make the queue resubmit it.
            raise ProviderError(
                f"BFL failed while accepting the job ({_describe(response)}); it was not resubmitted "
                "because it may already exist"
            )
        if not response.is_success:
            raise ProviderError(f"BFL rejected the request ({_describe(response)})")
        return read_model(response, _Submission, NAME)

    def _wait(self, job: _Submission, budget: Budget) -> tuple[str, int | None]:
        """Poll until the job is Ready; return the sample URL and the seed BFL reports."""
        if job.polling_url:
            # Polled exactly as returned: it may name another regional host of the provider.
            url, params = self._checked(job.polling_url), None
        else:
            url, params = f"{self.endpoint.base_url}/v1/get_result", {"id": job.id}
        while True:
            if not budget.fits(self._poll_interval):
                raise ProviderError(
                    f"BFL did not finish the image within the {budget.seconds:g} s time budget "
                    "(still Pending)",
                    retryable=True,
                )
            budget.sleep(self._poll_interval)
            response = self._http.send(
                "GET",
                url,
                api=API,
                budget=budget,
                read_timeout=READ_TIMEOUT_SECONDS,
                headers=self._auth,
                params=params,
            )
            if response.status_code == 404:
                raise ProviderError(f"BFL no longer knows the job (Task not found, {_describe(response)})")
            if not response.is_success:
                raise ProviderError(f"BFL could not report the job's status ({_describe(response)})")
            poll = read_model(response, _Poll, NAME)
            if poll.status == "Pending":
                continue
            if poll.status == "Ready":
                if poll.result is None or not poll.result.sample:
                    raise ProviderError("BFL reported the image Ready but sent no link to it")
                return poll.result.sample, poll.result.seed
            if poll.status in MODERATED:
                raise ContentPolicyViolation(
                    f"BFL's safety system blocked {MODERATED[poll.status]} ({poll.status}){_details(poll)}"
                )
            if poll.status in FAILED:
                raise ProviderError(f"BFL could not make the image ({poll.status}){_details(poll)}")
            raise ProviderError(f"BFL reported a job status it does not document: {poll.status!r}")

    def _download(self, sample: str, budget: Budget) -> tuple[bytes, str]:
        # A plain GET: the sample is a signed URL, and the API key must not travel to the delivery host.
        response = self._http.send(
            "GET", self._checked(sample), api=API, budget=budget, read_timeout=READ_TIMEOUT_SECONDS
        )
        if response.status_code in {403, 404}:
            raise ProviderError("BFL's result link expired before the image was downloaded")
        if not response.is_success:
            raise ProviderError(f"BFL's result could not be downloaded ({response.status_code})")
        header = response.headers.get("content-type", "").split(";")[0].strip().lower()
        mime_type = MIME_BY_FORMAT.get(sniff_format(response.content) or "") or (
            header if header.startswith("image/") else None
        )
        if mime_type is None:
            raise ProviderError(f"BFL's result is not an image (content type {header or 'missing'})")
        return response.content, mime_type

    @property
    def _auth(self) -> dict[str, str]:
        return {"x-key": self.endpoint.api_key}

    def _checked(self, url: str) -> str:
        return check_fetch_url(url, base_url=self.endpoint.base_url, domains=DOMAINS, name=NAME)


def _details(poll: _Poll) -> str:
    """``details`` as a readable suffix, e.g. ": Moderation Reasons: Derivative Works"."""
    details = poll.details
    if isinstance(details, dict):
        details = "; ".join(
            f"{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
            for key, value in details.items()
        )
    return f": {details}" if details else ""
