"""OpenAI image generation through the Responses API and its ``image_generation`` tool."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from pydantic import BaseModel

from galleria.providers.base import (
    ContentPolicyViolation,
    ProviderEndpoint,
    ProviderError,
    ProviderImage,
    ProviderRequest,
)
from galleria.providers.prompts import source_mime_type, styled_prompt
from galleria.providers.transport import ApiProfile, ProviderHttp, decode_base64, read_model, shared_http

NAME = "OpenAI"
# Our ratio -> the tool's size: the nearest of the three sizes it offers (square, landscape, portrait).
SIZES: dict[str, str] = {
    "1:1": "1024x1024",
    "16:9": "1536x1024",
    "4:3": "1536x1024",
    "21:9": "1536x1024",
    "9:16": "1024x1536",
    "3:4": "1024x1536",
    "9:21": "1024x1536",
}
MIME_BY_OUTPUT_FORMAT = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
READ_TIMEOUT_SECONDS = 240.0
# Error codes meaning the safety system refused: on HTTP 400, or in a failed response's error.
SAFETY_CODES = frozenset({"moderation_blocked", "image_content_policy_violation"})


class _ModerationDetails(BaseModel):
    categories: list[str] = []


class _Error(BaseModel):
    message: str | None = None
    type: str | None = None
    code: str | None = None
    moderation_details: _ModerationDetails | None = None


class _ErrorBody(BaseModel):
    error: _Error


class _ContentPart(BaseModel):
    type: str
    text: str | None = None
    refusal: str | None = None


class _OutputItem(BaseModel):
    type: str
    status: str | None = None
    result: str | None = None
    output_format: str | None = None
    content: list[_ContentPart] = []


class _Response(BaseModel):
    id: str | None = None
    status: str | None = None
    model: str | None = None
    output: list[_OutputItem] = []
    error: _Error | None = None


def _error(response: httpx.Response) -> _Error:
    try:
        return _ErrorBody.model_validate_json(response.content).error
    except ValueError:
        return _Error()


def _describe(response: httpx.Response) -> str:
    error = _error(response)
    summary = " ".join(str(part) for part in (response.status_code, error.code or error.type) if part)
    return f"{summary}: {error.message}" if error.message else summary


def _out_of_quota(error: _Error) -> bool:
    codes = {error.type, error.code}
    return bool(codes & {"insufficient_quota", "credit_balance_exhausted"}) or any(
        code.endswith("_spend_limit_exceeded") for code in codes if code
    )


def _should_retry(response: httpx.Response) -> bool | None:
    """OpenAI's ``x-should-retry`` header decides when present; an empty account never recovers soon."""
    header: str = response.headers.get("x-should-retry", "").lower()
    if header in {"true", "false"}:
        return header == "true"
    if response.status_code == 429 and _out_of_quota(_error(response)):
        return False
    return None


API = ApiProfile(name=NAME, describe=_describe, should_retry=_should_retry)


class OpenAIResponsesProvider:
    def __init__(
        self,
        api_model: str,
        endpoint: ProviderEndpoint,
        *,
        http: ProviderHttp | None = None,
        read_timeout: float = READ_TIMEOUT_SECONDS,
    ) -> None:
        self.api_model = api_model
        self.endpoint = endpoint
        self._http = http or shared_http()
        self._read_timeout = read_timeout

    def generate(self, request: ProviderRequest) -> ProviderImage:
        response = self._http.send(
            "POST",
            f"{self.endpoint.base_url}/v1/responses",
            api=API,
            read_timeout=self._read_timeout,
            headers={"Authorization": f"Bearer {self.endpoint.api_key}"},
            json=self._body(request),
        )
        if not response.is_success:
            raise _rejection(response)
        return self._image(read_model(response, _Response, NAME))

    def _body(self, request: ProviderRequest) -> dict[str, Any]:
        prompt = styled_prompt(request.prompt, request.style_preset)
        message: str | list[dict[str, Any]] = prompt
        if request.source_image is not None:
            data = base64.b64encode(request.source_image).decode("ascii")
            message = [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": prompt},
                        {
                            "type": "input_image",
                            "image_url": f"data:{source_mime_type(request)};base64,{data}",
                        },
                    ],
                }
            ]
        return {
            "model": self.api_model,
            "input": message,
            "tools": [
                {"type": "image_generation", "size": SIZES[request.aspect_ratio], "output_format": "png"}
            ],
            "tool_choice": {"type": "image_generation"},
        }

    def _image(self, body: _Response) -> ProviderImage:
        if body.status == "failed":
            error = body.error or _Error()
            if error.code in SAFETY_CODES:
                raise ContentPolicyViolation(_blocked(error))
            # server_error is OpenAI's own failure: a later attempt may well succeed.
            detail = f"{error.code or 'failed'}: {error.message or 'no details'}"
            raise ProviderError(
                f"OpenAI could not make the image ({detail})", retryable=error.code == "server_error"
            )
        text = "\n".join(
            part.text or part.refusal or ""
            for item in body.output
            if item.type == "message"
            for part in item.content
            if part.text or part.refusal
        )
        image = next(
            (
                item
                for item in body.output
                if item.type == "image_generation_call" and item.status == "completed" and item.result
            ),
            None,
        )
        if image is None or image.result is None:
            detail = f": {text}" if text else f" (response status {body.status or 'unknown'})"
            raise ProviderError(f"OpenAI returned no image{detail}")
        return ProviderImage(
            data=decode_base64(image.result, NAME),
            mime_type=MIME_BY_OUTPUT_FORMAT.get(image.output_format or "png", "image/png"),
            provider=self.endpoint.label,
            model_version=body.model or self.api_model,
            text=text or None,
            provider_request_id=body.id,
        )


def _rejection(response: httpx.Response) -> ProviderError:
    error = _error(response)
    if error.code in SAFETY_CODES:
        return ContentPolicyViolation(_blocked(error))
    if _out_of_quota(error):
        return ProviderError(f"The OpenAI account has run out of quota ({_describe(response)})")
    return ProviderError(f"OpenAI rejected the request ({_describe(response)})")


def _blocked(error: _Error) -> str:
    categories = error.moderation_details.categories if error.moderation_details else []
    if categories:
        return f"OpenAI's safety system blocked this request ({', '.join(categories)})"
    return f"OpenAI's safety system blocked this request: {error.message or error.code}"
