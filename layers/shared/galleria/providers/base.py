"""The provider interface every image model implements.

A provider makes **one image per call**: the worker calls it once per requested image (with
seed + index where the model takes a seed), so a failed image is refunded on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ProviderRequest:
    prompt: str  # the user's prompt, unmodified: providers apply the style preset themselves
    aspect_ratio: str  # one of galleria.catalog.ASPECT_RATIOS
    style_preset: str  # one of galleria.catalog.STYLE_PRESETS
    seed: int | None
    source_image: bytes | None = None  # as stored: PNG, JPEG or WEBP, already checked for limits
    source_mime_type: str | None = None
    index: int = 0  # the image's number in its job (a grid split's cell)


@dataclass(frozen=True)
class ProviderImage:
    """One image as the provider returned it: bytes are stored unchanged as the original."""

    data: bytes
    mime_type: str
    provider: str  # the endpoint's label: "google", or "google-emulator" in the local stack
    model_version: str
    text: str | None = None
    seed_used: int | None = None
    provider_request_id: str | None = None
    reproducible: bool = False


@dataclass(frozen=True)
class ProviderEndpoint:
    """Where and how to reach a provider: the same code path for the real API and its emulator."""

    base_url: str  # e.g. https://generativelanguage.googleapis.com, no trailing slash
    api_key: str
    label: str  # recorded as generation.provider


class ProviderError(Exception):
    """The provider could not make this image.

    ``retryable`` means the failure may pass later (outage, rate limit, timeout after the client's
    own bounded retries): the worker lets the queue redeliver the job instead of failing it at
    once. Anything else fails the image for good and its credits are refunded.
    """

    code = "generation_failed"

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class ContentPolicyViolation(ProviderError):
    """The provider's safety system blocked the prompt, the source image or the output."""

    code = "content_policy"

    def __init__(self, reason: str) -> None:
        super().__init__(reason, retryable=False)


class ImageProvider(Protocol):
    def generate(self, request: ProviderRequest) -> ProviderImage: ...
