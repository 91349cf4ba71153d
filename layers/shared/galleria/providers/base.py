"""The provider interface every image model implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ProviderRequest:
    prompt: str
    aspect_ratio: str
    style_preset: str
    seed: int | None
    source_image: bytes | None = None


@dataclass(frozen=True)
class ProviderImage:
    """One image as the provider returned it: bytes are stored unchanged as the original."""

    data: bytes
    mime_type: str
    provider: str
    model_version: str
    text: str | None = None
    seed_used: int | None = None
    provider_request_id: str | None = None
    reproducible: bool = False


class ProviderError(Exception):
    """The provider could not make this image; the image's credits are refunded."""

    def __init__(self, message: str, *, code: str = "generation_failed") -> None:
        super().__init__(message)
        self.code = code


class ImageProvider(Protocol):
    def generate(self, request: ProviderRequest) -> ProviderImage: ...
