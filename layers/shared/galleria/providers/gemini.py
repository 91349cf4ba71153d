"""Google Gemini native image models ("Nano Banana") through the REST ``generateContent`` method."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from galleria.providers.base import (
    ContentPolicyViolation,
    ProviderEndpoint,
    ProviderError,
    ProviderImage,
    ProviderRequest,
)
from galleria.providers.prompts import source_mime_type, styled_prompt
from galleria.providers.transport import (
    ApiProfile,
    ProviderHttp,
    decode_base64,
    header_delay,
    read_model,
    shared_http,
)

NAME = "Gemini"
# Our ratio -> imageConfig.aspectRatio. Gemini has no 9:21; 9:16 is its tallest ratio on every model.
ASPECT_RATIOS: dict[str, str] = {
    "1:1": "1:1",
    "16:9": "16:9",
    "9:16": "9:16",
    "4:3": "4:3",
    "3:4": "3:4",
    "21:9": "21:9",
    "9:21": "9:16",
}
# finishReason values meaning the safety system withheld the output (all arrive as HTTP 200).
SAFETY_FINISH_REASONS = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
    }
)
FLASH_READ_TIMEOUT_SECONDS = 120.0
PRO_READ_TIMEOUT_SECONDS = 240.0


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class _InlineData(_Model):
    mime_type: str = ""
    data: str = ""


class _Part(_Model):
    text: str | None = None
    inline_data: _InlineData | None = None
    thought: bool = False


class _Content(_Model):
    parts: list[_Part] = []


class _Candidate(_Model):
    content: _Content | None = None
    finish_reason: str | None = None
    finish_message: str | None = None


class _PromptFeedback(_Model):
    block_reason: str | None = None
    block_reason_message: str | None = None


class _Response(_Model):
    candidates: list[_Candidate] = []
    prompt_feedback: _PromptFeedback | None = None
    model_version: str | None = None
    response_id: str | None = None


def _error(response: httpx.Response) -> dict[str, Any]:
    """The google.rpc error object, also when wrapped in a one-element list; {} when there is none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _describe(response: httpx.Response) -> str:
    error = _error(response)
    summary = " ".join(str(part) for part in (response.status_code, error.get("status")) if part)
    return f"{summary}: {error['message']}" if error.get("message") else summary


def _retry_delay(response: httpx.Response) -> float | None:
    """RetryInfo.retryDelay ("37s", "12.5s") from the error details, else the Retry-After header."""
    for detail in _error(response).get("details") or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            delay = str(detail.get("retryDelay", ""))
            try:
                return max(0.0, float(delay.removesuffix("s")))
            except ValueError:
                break
    return header_delay(response)


API = ApiProfile(name=NAME, describe=_describe, server_delay=_retry_delay)


class GeminiProvider:
    def __init__(
        self,
        api_model: str,
        endpoint: ProviderEndpoint,
        *,
        http: ProviderHttp | None = None,
        read_timeout: float | None = None,
    ) -> None:
        self.api_model = api_model
        self.endpoint = endpoint
        self._http = http or shared_http()
        pro = "-pro" in api_model
        self._read_timeout = read_timeout or (PRO_READ_TIMEOUT_SECONDS if pro else FLASH_READ_TIMEOUT_SECONDS)

    def generate(self, request: ProviderRequest) -> ProviderImage:
        response = self._http.send(
            "POST",
            f"{self.endpoint.base_url}/v1beta/models/{self.api_model}:generateContent",
            api=API,
            read_timeout=self._read_timeout,
            headers={"x-goog-api-key": self.endpoint.api_key},
            json=self._body(request),
        )
        if not response.is_success:
            raise ProviderError(f"Gemini rejected the request ({_describe(response)})")
        return self._image(read_model(response, _Response, NAME))

    def _body(self, request: ProviderRequest) -> dict[str, Any]:
        parts: list[dict[str, Any]] = [{"text": styled_prompt(request.prompt, request.style_preset)}]
        if request.source_image is not None:
            data = base64.b64encode(request.source_image).decode("ascii")
            parts.append({"inlineData": {"mimeType": source_mime_type(request), "data": data}})
        # No imageSize: gemini-2.5-flash-image does not take it, and 1K is the default elsewhere.
        return {
            "contents": [{"role": "user", "parts": parts}],
            "generationConfig": {
                "responseModalities": ["TEXT", "IMAGE"],
                "imageConfig": {"aspectRatio": ASPECT_RATIOS[request.aspect_ratio]},
            },
        }

    def _image(self, body: _Response) -> ProviderImage:
        feedback = body.prompt_feedback
        if feedback and feedback.block_reason:
            raise ContentPolicyViolation(
                _blocked("the prompt", feedback.block_reason, feedback.block_reason_message)
            )
        candidate = body.candidates[0] if body.candidates else _Candidate()
        # Gemini 3 may send interim "thought" images and text before the final answer.
        parts = [part for part in (candidate.content.parts if candidate.content else []) if not part.thought]
        text = "".join(part.text for part in parts if part.text).strip() or None
        reason = candidate.finish_reason
        if reason in SAFETY_FINISH_REASONS:
            raise ContentPolicyViolation(_blocked("this image", reason, candidate.finish_message or text))
        image = next(
            (
                part.inline_data
                for part in parts
                if part.inline_data and part.inline_data.mime_type.startswith("image/")
            ),
            None,
        )
        if image is None:
            detail = f": {text}" if text else ""
            raise ProviderError(f"Gemini returned no image (finish reason {reason or 'none'}){detail}")
        return ProviderImage(
            data=decode_base64(image.data, NAME),
            mime_type=image.mime_type,
            provider=self.endpoint.label,
            model_version=body.model_version or self.api_model,
            text=text,
            provider_request_id=body.response_id,
        )


def _blocked(what: str, reason: str, explanation: str | None) -> str:
    message = f"Gemini's safety system blocked {what} ({reason})"
    return f"{message}: {explanation}" if explanation else message
