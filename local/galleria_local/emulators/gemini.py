"""The Gemini API's `generateContent` for image models, as providers.md section 1 describes it.

Simplifications: one candidate, no streaming, `imageSize` is checked but images are always about
1K, and `fileData` (the Files API) is refused since there is no file store.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from galleria_local.emulators import images
from galleria_local.emulators.server import (
    ProviderEmulator,
    Request,
    Response,
    json_response,
    malformed_response,
    new_id,
    parse_json_object,
)

if TYPE_CHECKING:
    from PIL import Image

GEMINI_IMAGE_MODELS: frozenset[str] = frozenset(
    {
        "gemini-2.5-flash-image",
        "gemini-2.5-flash-image-preview",
        "gemini-3-pro-image",
        "gemini-3-pro-image-preview",
        "gemini-3.1-flash-image",
        "gemini-3.1-flash-image-preview",
    }
)
ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
# Only the 3.1 flash image models take these.
EXTRA_ASPECT_RATIOS = ("1:4", "4:1", "1:8", "8:1")
IMAGE_SIZES = ("512", "1K", "2K", "4K")
RESPONSE_MODALITIES = frozenset({"TEXT", "IMAGE"})
IMAGE_OUTPUT_TOKENS = 1290
IMAGE_INPUT_TOKENS = 258
_PATH = re.compile(r"/v1beta/models/(?P<model>[^/:]+):(?P<method>\w+)")
_TOP_LEVEL_FIELDS = frozenset(
    {
        "contents",
        "generationConfig",
        "generation_config",
        "safetySettings",
        "safety_settings",
        "systemInstruction",
        "system_instruction",
        "tools",
        "toolConfig",
        "tool_config",
        "cachedContent",
        "cached_content",
    }
)
_IMAGE_CONFIG_FIELDS = frozenset({"aspectRatio", "aspect_ratio", "imageSize", "image_size"})
_QUOTA_METRIC = "generativelanguage.googleapis.com/generate_content_free_tier_requests"
_TROUBLESHOOTING = "https://developers.generativeai.google/guide/troubleshooting"


class _Refused(Exception):
    """An answer other than an image: a google.rpc error."""

    def __init__(self, code: int, status: str, message: str, details: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.response = rpc_error(code, status, message, details)


def rpc_error(code: int, status: str, message: str, details: Iterable[dict[str, Any]] = ()) -> Response:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = list(details)
    return json_response(code, {"error": error})


def _invalid(message: str) -> _Refused:
    return _Refused(400, "INVALID_ARGUMENT", message)


@dataclass(frozen=True)
class _Generation:
    model: str
    prompt: str
    source: Image.Image | None
    size: tuple[int, int]
    seed: int
    modalities: frozenset[str]
    include_thoughts: bool
    input_images: int


class GeminiEmulator(ProviderEmulator):
    """`POST /v1beta/models/{model}:generateContent` with `x-goog-api-key` (or `?key=`)."""

    provider = "google"

    def __init__(self, *, api_key: str | None = None, port: int = 0, models: Iterable[str] = ()) -> None:
        super().__init__(api_key=api_key, port=port)
        self.models = GEMINI_IMAGE_MODELS | frozenset(models)

    def serve(self, request: Request) -> Response:
        try:
            self._authenticate(request)
            generation = self._read(request)
        except _Refused as refusal:
            return refusal.response
        fault = self.take_fault()
        if fault is None or fault.kind == "no_image":
            return self._answer(generation, image=fault is None)
        if fault.kind == "rate_limit":
            return rate_limited()
        if fault.kind == "server_error":
            return rpc_error(
                500,
                "INTERNAL",
                "An internal error has occurred. Please retry or report in " + _TROUBLESHOOTING,
            )
        if fault.kind == "safety":
            return _blocked(generation)
        return malformed_response()

    def _authenticate(self, request: Request) -> None:
        key = request.header("x-goog-api-key") or request.query.get("key")
        if not key:
            raise _Refused(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established identity). "
                "Please use API Key or other form of API consumer identity to call this API.",
            )
        if key != self.api_key:
            raise _Refused(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": {"service": "generativelanguage.googleapis.com"},
                    }
                ],
            )

    def _read(self, request: Request) -> _Generation:
        match = _PATH.fullmatch(request.path)
        if match is None or request.method != "POST" or match["method"] != "generateContent":
            raise _Refused(404, "NOT_FOUND", f"Method not found: {request.method} {request.path}")
        model = match["model"]
        if model not in self.models:
            raise _Refused(
                404,
                "NOT_FOUND",
                f"models/{model} is not found for API version v1beta, or is not supported for "
                "generateContent. Call ListModels to see the list of available models and their "
                "supported methods.",
            )
        body = parse_json_object(request.body)
        if body is None:
            raise _invalid("Invalid JSON payload received. Expected an object.")
        unknown = sorted(set(body) - _TOP_LEVEL_FIELDS)
        if unknown:
            raise _invalid(f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.')
        prompt, sources = _read_contents(body.get("contents"))
        config = _field(body, "generationConfig", "generation_config", {})
        if not isinstance(config, dict):
            raise _invalid("Invalid value at 'generation_config': expected an object.")
        seed = config.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise _invalid(f"Invalid value at 'generation_config.seed' (TYPE_INT32), {seed!r}")
        thinking = _field(config, "thinkingConfig", "thinking_config", {})
        return _Generation(
            model=model,
            prompt=prompt,
            source=sources[0] if sources else None,
            size=_image_size(model, config, sources[0] if sources else None),
            seed=seed if seed is not None else images.random_seed(),
            modalities=_modalities(config),
            include_thoughts=isinstance(thinking, dict)
            and bool(_field(thinking, "includeThoughts", "include_thoughts")),
            input_images=len(sources),
        )

    def _answer(self, generation: _Generation, *, image: bool) -> Response:
        parts: list[dict[str, Any]] = []
        if generation.include_thoughts and generation.model.startswith("gemini-3"):
            parts.append(
                {"text": "**Composing the scene**\n\nPlanning the layout and the palette.", "thought": True}
            )
        if not image:  # a text-only answer, as the models sometimes give
            parts.append({"text": "I'm not able to make that image right now, but I can describe it."})
        elif "TEXT" in generation.modalities:
            parts.append({"text": f"Here is your image: {_excerpt(generation.prompt)}"})
        if image and "IMAGE" in generation.modalities:
            data = images.render(
                generation.prompt, seed=generation.seed, size=generation.size, source=generation.source
            )
            part: dict[str, Any] = {
                "inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode()}
            }
            if generation.model.startswith("gemini-3"):
                part["thoughtSignature"] = base64.b64encode(new_id(nbytes=48).encode()).decode()
            parts.append(part)
        prompt_tokens = _prompt_tokens(generation)
        image_tokens = IMAGE_OUTPUT_TOKENS if image else 0
        text_tokens = sum(len(str(part.get("text", "")).split()) for part in parts)
        return json_response(
            200,
            {
                "candidates": [
                    {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
                ],
                "usageMetadata": {
                    "promptTokenCount": prompt_tokens,
                    "candidatesTokenCount": image_tokens + text_tokens,
                    "totalTokenCount": prompt_tokens + image_tokens + text_tokens,
                    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
                    "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": image_tokens}],
                },
                "modelVersion": generation.model,
                "responseId": new_id(nbytes=12),
            },
        )


def rate_limited() -> Response:
    return rpc_error(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details. "
        "(Emulated: a rate_limit fault was queued.)",
        [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": _QUOTA_METRIC,
                        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    }
                ],
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Learn more about Gemini API quotas",
                        "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                    }
                ],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"},
        ],
    )


def _blocked(generation: _Generation) -> Response:
    """What an output blocked by the safety filters looks like: a 200 with a refusal, no image."""
    prompt_tokens = _prompt_tokens(generation)
    return json_response(
        200,
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [{"text": "I can't create that image. Let's try something else."}],
                    },
                    "finishReason": "IMAGE_SAFETY",
                    "index": 0,
                }
            ],
            "usageMetadata": {"promptTokenCount": prompt_tokens, "totalTokenCount": prompt_tokens},
            "modelVersion": generation.model,
            "responseId": new_id(nbytes=12),
        },
    )


def _read_contents(contents: Any) -> tuple[str, list[Image.Image]]:
    """The prompt and the reference images of the last user turn, every part checked on the way."""
    if not isinstance(contents, list) or not contents:
        raise _invalid("* GenerateContentRequest.contents: contents is not specified")
    prompt, sources = "", []
    for index, content in enumerate(contents):
        where = f"contents[{index}]"
        if not isinstance(content, dict):
            raise _invalid(f"Invalid value at '{where}': expected an object.")
        role = content.get("role", "user")
        if role not in ("user", "model"):
            raise _invalid(f"* GenerateContentRequest.{where}.role: Please use a valid role: user, model.")
        parts = content.get("parts")
        if not isinstance(parts, list) or not parts:
            raise _invalid(f"* GenerateContentRequest.{where}.parts: contents.parts must not be empty.")
        texts, turn_sources = _read_parts(parts, where)
        if role == "user":
            prompt, sources = " ".join(texts).strip(), turn_sources
    if not prompt:
        raise _invalid(
            "* GenerateContentRequest.contents: the last user turn has no text part (a prompt is required)"
        )
    return prompt, sources


def _read_parts(parts: list[Any], where: str) -> tuple[list[str], list[Image.Image]]:
    texts: list[str] = []
    sources: list[Image.Image] = []
    for index, part in enumerate(parts):
        at = f"{where}.parts[{index}]"
        if not isinstance(part, dict):
            raise _invalid(f"Invalid value at '{at}': expected an object.")
        inline = _field(part, "inlineData", "inline_data")
        if isinstance(part.get("text"), str):
            if not part.get("thought"):
                texts.append(part["text"])
        elif isinstance(inline, dict):
            sources.append(_read_inline(inline, at))
        elif _field(part, "fileData", "file_data") is not None:
            raise _invalid(
                f"* GenerateContentRequest.{at}.file_data: the emulator has no Files API; send inlineData"
            )
        elif "thoughtSignature" not in part:
            raise _invalid(
                f"* GenerateContentRequest.{at}.data: required oneof field 'data' must have one "
                "initialized field"
            )
    return texts, sources


def _read_inline(inline: dict[str, Any], at: str) -> Image.Image:
    mime = _field(inline, "mimeType", "mime_type")
    data = inline.get("data")
    if not isinstance(mime, str) or not mime:
        raise _invalid(f"* GenerateContentRequest.{at}.inline_data.mime_type: mime_type is not specified")
    if not isinstance(data, str) or not data:
        raise _invalid(f"* GenerateContentRequest.{at}.inline_data.data: data is not specified")
    if not mime.startswith("image/"):
        raise _invalid(f"Unsupported MIME type: {mime}")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(
            f"Invalid value at '{at}.inline_data.data' (TYPE_BYTES), "
            f'Base64 decoding failed for "{data[:20]}..."'
        ) from None
    try:
        return images.open_source(raw)
    except images.BadSourceImage:
        raise _invalid(
            f"Unable to process input image. Please retry or report in {_TROUBLESHOOTING}"
        ) from None


def _image_size(model: str, config: dict[str, Any], source: Image.Image | None) -> tuple[int, int]:
    image_config = _field(config, "imageConfig", "image_config", {})
    if not isinstance(image_config, dict):
        raise _invalid("Invalid value at 'generation_config.image_config': expected an object.")
    unknown = sorted(set(image_config) - _IMAGE_CONFIG_FIELDS)
    if unknown:
        raise _invalid(
            f'Invalid JSON payload received. Unknown name "{unknown[0]}" at '
            "'generation_config.image_config': "
            "Cannot find field."
        )
    image_size = _field(image_config, "imageSize", "image_size")
    if image_size is not None and image_size not in IMAGE_SIZES:
        raise _invalid(f"Unsupported image size '{image_size}'. Supported sizes: {', '.join(IMAGE_SIZES)}.")
    ratio = _field(image_config, "aspectRatio", "aspect_ratio")
    if ratio is None:
        return images.megapixel_size(*source.size) if source is not None else images.procedural_sizes()["1:1"]
    allowed = ASPECT_RATIOS + (EXTRA_ASPECT_RATIOS if model.startswith("gemini-3.1-flash-image") else ())
    if ratio not in allowed:
        raise _invalid(f"Unsupported aspect ratio '{ratio}'. Supported aspect ratios: {', '.join(allowed)}.")
    known = images.procedural_sizes().get(ratio)
    if known is not None:
        return known
    width, height = images.parse_ratio(ratio) or (1, 1)
    return images.megapixel_size(width, height)


def _modalities(config: dict[str, Any]) -> frozenset[str]:
    value = _field(config, "responseModalities", "response_modalities", ["TEXT", "IMAGE"])
    if not isinstance(value, list) or not value or not set(value) <= RESPONSE_MODALITIES:
        raise _invalid(
            f"Invalid value at 'generation_config.response_modalities': {value!r}; use TEXT and/or IMAGE"
        )
    return frozenset(value)


def _field(document: dict[str, Any], camel: str, snake: str, default: Any = None) -> Any:
    """Gemini reads either spelling of a field (proto JSON)."""
    return document.get(camel, document.get(snake, default))


def _prompt_tokens(generation: _Generation) -> int:
    return len(generation.prompt.split()) + IMAGE_INPUT_TOKENS * generation.input_images


def _excerpt(prompt: str, limit: int = 120) -> str:
    return prompt if len(prompt) <= limit else prompt[: limit - 1].rstrip() + "…"
