"""OpenAI's Responses API with the `image_generation` tool, as providers.md section 2c describes it.

Simplifications: no streaming, no `previous_response_id` or file ids, and `input_image` must be a
`data:` URL (the emulator fetches nothing).
"""

from __future__ import annotations

import base64
import re
import time
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

SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
QUALITIES = ("low", "medium", "high", "auto")
OUTPUT_FORMATS = ("png", "jpeg", "webp")
BACKGROUNDS = ("transparent", "opaque", "auto")
SNAPSHOT_DATE = "2025-08-07"
_MODEL = re.compile(r"(gpt-|o\d|chatgpt-)[\w.-]*")
_SNAPSHOT = re.compile(r".*-\d{4}-\d{2}-\d{2}")
_DATA_URL_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)
_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
    "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
)
_SERVER_ERROR = (
    "The server had an error processing your request. Sorry about that! You can retry your request, or "
    "contact us through our help center at help.openai.com if you keep seeing this error."
)


def openai_error(
    status: int,
    message: str,
    error_type: str,
    *,
    param: str | None = None,
    code: str | None = None,
    **extra: Any,
) -> Response:
    return json_response(
        status, {"error": {"message": message, "type": error_type, "param": param, "code": code, **extra}}
    )


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _invalid(message: str, *, param: str | None = None, code: str | None = "invalid_value") -> _Refused:
    return _Refused(openai_error(400, message, "invalid_request_error", param=param, code=code))


@dataclass(frozen=True)
class _ImageTool:
    size: str
    quality: str
    output_format: str
    background: str
    compression: int | None


@dataclass(frozen=True)
class _Generation:
    model: str
    prompt: str
    source: Image.Image | None
    tool: _ImageTool | None  # None: no image_generation tool, so the model can only answer in text


class OpenAIEmulator(ProviderEmulator):
    """`POST /v1/responses` with `Authorization: Bearer <key>`; every answer has an `x-request-id`."""

    provider = "openai"

    def common_headers(self) -> tuple[tuple[str, str], ...]:
        return (("x-request-id", new_id("req_")),)

    def serve(self, request: Request) -> Response:
        try:
            self._authenticate(request)
            if request.path.rstrip("/") != "/v1/responses" or request.method != "POST":
                raise _Refused(
                    openai_error(
                        404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error"
                    )
                )
            generation = _read(request.body)
        except _Refused as refusal:
            return refusal.response
        fault = self.take_fault()
        if fault is None or fault.kind == "no_image":
            return _answer(generation, image=fault is None)
        if fault.kind == "rate_limit":
            return rate_limited(generation.model)
        if fault.kind == "server_error":
            return openai_error(500, _SERVER_ERROR, "server_error")
        if fault.kind == "safety":
            return openai_error(
                400,
                "Your request was rejected by the safety system. If you believe this is an error, contact us "
                "at help.openai.com and include the request ID. safety_violations=[violence].",
                "image_generation_user_error",
                code="moderation_blocked",
                moderation_details={"moderation_stage": "input", "categories": ["violence"]},
            )
        return malformed_response()

    def _authenticate(self, request: Request) -> None:
        scheme, _, key = (request.header("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise _Refused(openai_error(401, _NO_KEY, "invalid_request_error"))
        if key.strip() != self.api_key:
            shown = f"{key[:3]}*****{key[-4:]}" if len(key) > 8 else "*****"
            raise _Refused(
                openai_error(
                    401,
                    f"Incorrect API key provided: {shown}. You can find your API key at "
                    "https://platform.openai.com/account/api-keys.",
                    "invalid_request_error",
                    code="invalid_api_key",
                )
            )


def rate_limited(model: str) -> Response:
    response = openai_error(
        429,
        f"Rate limit reached for {model} in organization org-emulator on requests per min (RPM): "
        "Limit 5, Used 5, Requested 1. Please try again in 1s. (Emulated: a rate_limit fault was queued.)",
        "requests",
        code="rate_limit_exceeded",
    )
    return Response(
        response.status, response.body, headers=(("retry-after", "1"), ("x-ratelimit-reset-requests", "1s"))
    )


def _read(body: bytes) -> _Generation:
    document = parse_json_object(body)
    if document is None:
        raise _invalid(_BAD_JSON, code=None)
    model = document.get("model")
    if not isinstance(model, str) or not model:
        raise _invalid(
            "Missing required parameter: 'model'.", param="model", code="missing_required_parameter"
        )
    if not _MODEL.fullmatch(model):
        raise _invalid(
            f"The requested model '{model}' does not exist.", param="model", code="model_not_found"
        )
    prompt, source = _read_input(document.get("input"))
    tool = _read_tools(document.get("tools", []))
    _check_tool_choice(document.get("tool_choice", "auto"), has_image_tool=tool is not None)
    return _Generation(model=model, prompt=prompt, source=source, tool=tool)


def _read_input(value: Any) -> tuple[str, Image.Image | None]:
    """The prompt and the first reference image of the last user message."""
    if isinstance(value, str):
        if not value.strip():
            raise _invalid("Invalid 'input': empty string.", param="input", code="empty_string")
        return value, None
    if not isinstance(value, list) or not value:
        raise _invalid(
            "Missing required parameter: 'input'.", param="input", code="missing_required_parameter"
        )
    prompt, source = "", None
    for index, item in enumerate(value):
        where = f"input[{index}]"
        if not isinstance(item, dict):
            raise _invalid(
                f"Invalid type for '{where}': expected an object.", param=where, code="invalid_type"
            )
        kind = item.get("type", "message")
        if kind in ("image_generation_call", "reasoning"):
            continue  # earlier turns, echoed back by a multi-turn client
        if kind != "message" or item.get("role") not in ("user", "system", "developer", "assistant"):
            raise _invalid(f"Invalid value for '{where}': expected a message with a valid role.", param=where)
        texts, image = _read_content(item.get("content"), where)
        if item["role"] == "user":
            prompt, source = " ".join(texts).strip(), image
    if not prompt:
        raise _invalid("The last user message has no input_text (a prompt is required).", param="input")
    return prompt, source


def _read_content(content: Any, where: str) -> tuple[list[str], Image.Image | None]:
    if isinstance(content, str):
        return [content], None
    if not isinstance(content, list):
        raise _invalid(f"Invalid type for '{where}.content'.", param=f"{where}.content", code="invalid_type")
    texts: list[str] = []
    source = None
    for index, part in enumerate(content):
        at = f"{where}.content[{index}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text") and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "input_image":
            image = _read_image_url(part.get("image_url"), f"{at}.image_url")
            source = source or image
        else:
            raise _invalid(f"Invalid value for '{at}.type': {kind!r}.", param=f"{at}.type")
    return texts, source


def _read_image_url(url: Any, param: str) -> Image.Image:
    if not isinstance(url, str) or not url.startswith("data:"):
        raise _invalid(
            f"Invalid '{param}'. The emulator accepts only base64 data URLs (data:image/png;base64,...).",
            param=param,
        )
    header, _, data = url.partition(",")
    mime = header.removeprefix("data:").split(";")[0].lower()
    if mime not in _DATA_URL_MIME_TYPES or not header.endswith(";base64"):
        raise _invalid(
            f"Invalid '{param}'. Expected a base64-encoded data URL with an image MIME type "
            f"(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got unsupported MIME type '{mime}'.",
            param=param,
        )
    try:
        return images.open_source(base64.b64decode(data, validate=True))
    except (ValueError, images.BadSourceImage):
        raise _invalid(
            "The image data you provided does not represent a valid image. Please check your input and try "
            "again with one of the supported image formats: "
            "['image/jpeg', 'image/png', 'image/gif', 'image/webp'].",
            param=param,
            code="invalid_image_format",
        ) from None


def _read_tools(tools: Any) -> _ImageTool | None:
    if not isinstance(tools, list):
        raise _invalid("Invalid type for 'tools': expected an array.", param="tools", code="invalid_type")
    found = None
    for index, tool in enumerate(tools):
        if isinstance(tool, dict) and tool.get("type") == "image_generation":
            found = found or _read_image_tool(tool, f"tools[{index}]")
        elif not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
            raise _invalid(
                f"Missing required parameter: 'tools[{index}].type'.", param=f"tools[{index}].type"
            )
    return found


def _read_image_tool(tool: dict[str, Any], where: str) -> _ImageTool:
    def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
        value = tool.get(name, default)
        if value not in allowed:
            quoted = ", ".join(f"'{item}'" for item in allowed)
            raise _invalid(
                f"Invalid value: '{value}'. Supported values are: {quoted}.", param=f"{where}.{name}"
            )
        return str(value)

    size = choice("size", SIZES, "auto")
    quality = choice("quality", QUALITIES, "auto")
    output_format = choice("output_format", OUTPUT_FORMATS, "png")
    background = choice("background", BACKGROUNDS, "auto")
    compression = tool.get("output_compression")
    if compression is not None and (
        not isinstance(compression, int) or isinstance(compression, bool) or not 0 <= compression <= 100
    ):
        raise _invalid(
            f"Invalid '{where}.output_compression': integer between 0 and 100 expected.",
            param=f"{where}.output_compression",
        )
    if background == "transparent" and output_format == "jpeg":
        raise _invalid(
            "Transparent background is not supported for output format 'jpeg'; use 'png' or 'webp'.",
            param=f"{where}.background",
        )
    return _ImageTool(size, quality, output_format, background, compression)


def _check_tool_choice(choice: Any, *, has_image_tool: bool) -> None:
    if choice in ("auto", "none", "required"):
        return
    if isinstance(choice, dict) and choice.get("type") == "image_generation":
        if not has_image_tool:
            raise _invalid(
                "Tool choice 'image_generation' not found in 'tools' parameter.", param="tool_choice"
            )
        return
    if isinstance(choice, dict) and isinstance(choice.get("type"), str):
        return
    raise _invalid(f"Invalid value for 'tool_choice': {choice!r}.", param="tool_choice")


def _answer(generation: _Generation, *, image: bool) -> Response:
    output: list[dict[str, Any]] = [{"type": "reasoning", "id": new_id("rs_"), "summary": []}]
    tool = generation.tool
    if image and tool is not None:
        size = _pixel_size(tool.size, generation.source)
        data = images.render(
            generation.prompt,
            seed=images.random_seed(),
            size=size,
            source=generation.source,
            output_format=tool.output_format,
            quality=tool.compression,
        )
        output.append(
            {
                "type": "image_generation_call",
                "id": new_id("ig_"),
                "status": "completed",
                "result": base64.b64encode(data).decode(),
                "revised_prompt": f"An image of {generation.prompt}",
                "background": "opaque" if tool.background == "auto" else tool.background,
                "output_format": tool.output_format,
                "quality": "medium" if tool.quality == "auto" else tool.quality,
                "size": f"{size[0]}x{size[1]}",
            }
        )
        text = "Here is the image you asked for."
    else:
        text = "I can't create an image for this request, but I can describe one in words."
    output.append(
        {
            "type": "message",
            "id": new_id("msg_"),
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
    )
    input_tokens = len(generation.prompt.split()) + (765 if generation.source is not None else 0) + 2000
    output_tokens = 120
    model = (
        generation.model if _SNAPSHOT.fullmatch(generation.model) else f"{generation.model}-{SNAPSHOT_DATE}"
    )
    return json_response(
        200,
        {
            "id": new_id("resp_", 24),
            "object": "response",
            "created_at": int(time.time()),
            "status": "completed",
            "error": None,
            "incomplete_details": None,
            "model": model,
            "output": output,
            "usage": {
                "input_tokens": input_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": 64},
                "total_tokens": input_tokens + output_tokens,
            },
        },
    )


def _pixel_size(size: str, source: Image.Image | None) -> tuple[int, int]:
    """`auto` follows the reference image's orientation, as the model tends to."""
    if size == "auto":
        if source is None or 0.8 <= source.width / source.height <= 1.25:
            size = "1024x1024"
        else:
            size = "1536x1024" if source.width > source.height else "1024x1536"
    width, _, height = size.partition("x")
    return int(width), int(height)
