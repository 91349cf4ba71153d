"""Black Forest Labs' FLUX.1 Kontext API, as providers.md section 3 describes it.

Submit answers a task id and a polling URL; the first poll of a task says Pending, the next ones
Ready with a signed sample URL that works without `x-key` until it expires. The image is rendered
at the first Ready poll. Simplifications: webhooks are ignored, `input_image` must be base64 (no
URL fetching), and only `input_image` (not `_2..4`) shapes the picture.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from galleria_local.emulators import images
from galleria_local.emulators.server import (
    ProviderEmulator,
    Request,
    Response,
    json_response,
    malformed_response,
    parse_json_object,
)

if TYPE_CHECKING:
    from PIL import Image

ENDPOINTS = {"flux-kontext-pro": 4.0, "flux-kontext-max": 8.0}  # endpoint -> cost in credits
OUTPUT_FORMATS = ("jpeg", "png")
MIN_RATIO, MAX_RATIO = 9 / 21, 21 / 9
SAMPLE_TTL_SECONDS = 600.0
MAX_TASKS = 200  # the oldest are forgotten: each holds a rendered image
PENDING_PROGRESS = 0.5
_SUBMIT = re.compile(r"/v1/(?P<endpoint>[\w.-]+)")
_DELIVERY = re.compile(r"/delivery/(?P<id>[\w-]+)/sample\.(?P<ext>png|jpeg)")


@dataclass
class _Task:
    id: str
    prompt: str
    seed: int
    size: tuple[int, int]
    output_format: str
    source: Image.Image | None
    outcome: str  # "image", "moderated" or "no_image"
    polls: int = 0
    sample: bytes | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def detail(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return json_response(status, {"detail": message}, headers)


class BflEmulator(ProviderEmulator):
    """`POST /v1/flux-kontext-{pro,max}`, `GET /v1/get_result?id=` (both with `x-key`) and the
    unauthenticated sample downloads under `/delivery/`."""

    provider = "bfl"

    def __init__(
        self, *, api_key: str | None = None, port: int = 0, sample_ttl_seconds: float = SAMPLE_TTL_SECONDS
    ) -> None:
        super().__init__(api_key=api_key, port=port)
        self.sample_ttl_seconds = sample_ttl_seconds
        self._signing_key = secrets.token_bytes(32)
        self._tasks: OrderedDict[str, _Task] = OrderedDict()
        self._lock = threading.Lock()

    def serve(self, request: Request) -> Response:
        try:
            return self._route(request)
        except _Refused as refusal:
            return refusal.response

    def _route(self, request: Request) -> Response:
        if request.method == "GET" and _DELIVERY.fullmatch(request.path):
            return self._deliver(request)
        self._authenticate(request)
        if request.path == "/v1/get_result":
            return self._poll(request) if request.method == "GET" else detail(405, "Method Not Allowed")
        match = _SUBMIT.fullmatch(request.path)
        if match is None or match["endpoint"] not in ENDPOINTS:
            return detail(404, "Not Found")
        if request.method != "POST":
            return detail(405, "Method Not Allowed")
        return self._submit(request, match["endpoint"])

    def _authenticate(self, request: Request) -> None:
        key = request.header("x-key")
        if not key:
            raise _Refused(detail(401, "Not authenticated"))
        if not hmac.compare_digest(key, self.api_key):
            raise _Refused(detail(403, "Not authenticated"))

    def _submit(self, request: Request, endpoint: str) -> Response:
        body = parse_json_object(request.body)
        if body is None:
            raise _Refused(
                _unprocessable([(["body"], "Input should be a valid dictionary or object", "dict_type")])
            )
        task = _read_task(body)
        fault = self.take_fault()
        if fault is not None and fault.kind == "rate_limit":
            return detail(
                429,
                "You have exceeded the number of active tasks. Please wait for a task to finish. "
                "(Emulated: a rate_limit fault was queued.)",
                (("Retry-After", "1"),),
            )
        if fault is not None and fault.kind == "server_error":
            return detail(500, "Internal Server Error")
        if fault is not None and fault.kind == "malformed":
            return malformed_response()
        if fault is not None:
            task.outcome = "moderated" if fault.kind == "safety" else "no_image"
        with self._lock:
            self._tasks[task.id] = task
            while len(self._tasks) > MAX_TASKS:
                self._tasks.popitem(last=False)
        width, height = task.size
        source_mp = (
            round(task.source.width * task.source.height / 1e6, 2) if task.source is not None else None
        )
        return json_response(
            200,
            {
                "id": task.id,
                "polling_url": self.url("/v1/get_result", id=task.id),
                "cost": ENDPOINTS[endpoint],
                "input_mp": source_mp,
                "output_mp": round(width * height / 1e6, 2),
            },
        )

    def _poll(self, request: Request) -> Response:
        task_id = request.query.get("id")
        if not task_id:
            raise _Refused(_unprocessable([(["query", "id"], "Field required", "missing")]))
        with self._lock:
            task = self._tasks.get(task_id)
        if task is None:
            return json_response(404, _poll_document(task_id, "Task not found"))
        with task.lock:  # one render per task, however many pollers
            task.polls += 1
            if task.polls == 1:
                return json_response(200, _poll_document(task.id, "Pending", progress=PENDING_PROGRESS))
            if task.outcome == "moderated":
                details = {"Moderation Reasons": ["Derivative Works Filter"]}
                return json_response(200, _poll_document(task.id, "Request Moderated", details=details))
            result: dict[str, Any] = {"prompt": task.prompt, "seed": task.seed}
            if task.outcome == "image":
                if task.sample is None:
                    task.sample = images.render(
                        task.prompt,
                        seed=task.seed,
                        size=task.size,
                        source=task.source,
                        output_format=task.output_format,
                    )
                    task.source = None  # no longer needed; the sample is what is kept
                result = {"sample": self._sample_url(task), **result}
        return json_response(200, _poll_document(task.id, "Ready", result=result))

    def _sample_url(self, task: _Task) -> str:
        expires = str(int((time.time() + self.sample_ttl_seconds) * 1000))
        path = f"/delivery/{task.id}/sample.{task.output_format}"
        return self.url(path, se=expires, sig=self._signature(path, expires))

    def _signature(self, path: str, expires: str) -> str:
        return hmac.new(self._signing_key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def _deliver(self, request: Request) -> Response:
        """A signed, expiring URL, like the CDN's: the signature is the only credential."""
        expires, signature = request.query.get("se", ""), request.query.get("sig", "")
        valid = hmac.compare_digest(signature, self._signature(request.path, expires))
        if not valid or not expires.isdigit() or int(expires) < time.time() * 1000:
            return Response(
                403,
                b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                "application/xml",
            )
        match = _DELIVERY.fullmatch(request.path)
        with self._lock:
            task = self._tasks.get(match["id"]) if match else None
        if task is None or task.sample is None:
            return Response(404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml")
        return Response(200, task.sample, images.MIME_TYPES[task.output_format])


def _read_task(body: dict[str, Any]) -> _Task:
    """The task a submit describes, or a 422 listing every invalid field, as FastAPI does."""
    errors: list[tuple[list[str | int], str, str]] = []
    prompt = body.get("prompt")
    if prompt is None:
        errors.append((["body", "prompt"], "Field required", "missing"))
    elif not isinstance(prompt, str):
        errors.append((["body", "prompt"], "Input should be a valid string", "string_type"))
    seed = body.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        errors.append((["body", "seed"], "Input should be a valid integer", "int_type"))
    output_format = body.get("output_format") or "png"
    if output_format not in OUTPUT_FORMATS:
        errors.append((["body", "output_format"], "Input should be 'jpeg' or 'png'", "enum"))
    tolerance = body.get("safety_tolerance", 2)
    if not isinstance(tolerance, int) or isinstance(tolerance, bool) or not 0 <= tolerance <= 6:
        errors.append((["body", "safety_tolerance"], "Input should be an integer from 0 to 6", "value_error"))
    if not isinstance(body.get("prompt_upsampling", False), bool):
        errors.append((["body", "prompt_upsampling"], "Input should be a valid boolean", "bool_type"))
    source = _read_source(body.get("input_image"), errors)
    ratio = _read_ratio(body.get("aspect_ratio"), errors)
    if errors:
        raise _Refused(_unprocessable(errors))
    if ratio is None:
        ratio = source.size if source is not None else (1, 1)
    return _Task(
        id=str(uuid.uuid4()),
        prompt=str(prompt),
        seed=seed if isinstance(seed, int) else images.random_seed(),
        size=images.megapixel_size(*ratio),
        output_format=str(output_format),
        source=source,
        outcome="image",
    )


def _read_source(value: Any, errors: list[tuple[list[str | int], str, str]]) -> Image.Image | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append((["body", "input_image"], "Input should be a valid string", "string_type"))
        return None
    if value.startswith(("http://", "https://")):
        errors.append((["body", "input_image"], "The emulator fetches no URLs; send base64", "value_error"))
        return None
    try:
        return images.open_source(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError, images.BadSourceImage) as exc:
        message = str(exc) if isinstance(exc, images.BadSourceImage) else "Invalid base64"
        errors.append((["body", "input_image"], f"Value error, {message}", "value_error"))
        return None


def _read_ratio(value: Any, errors: list[tuple[list[str | int], str, str]]) -> tuple[int, int] | None:
    if value is None:
        return None
    ratio = images.parse_ratio(value) if isinstance(value, str) else None
    if ratio is None or not MIN_RATIO <= ratio[0] / ratio[1] <= MAX_RATIO:
        errors.append(
            (
                ["body", "aspect_ratio"],
                "Value error, Aspect ratio must be between 21:9 and 9:21",
                "value_error",
            )
        )
        return None
    return ratio


def _unprocessable(errors: list[tuple[list[str | int], str, str]]) -> Response:
    return json_response(
        422, {"detail": [{"loc": loc, "msg": msg, "type": kind} for loc, msg, kind in errors]}
    )


def _poll_document(
    task_id: str,
    status: str,
    *,
    result: dict[str, Any] | None = None,
    progress: float | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": task_id,
        "status": status,
        "result": result,
        "progress": progress,
        "details": details,
        "preview": None,
    }
