"""Test doubles shared by the provider tests (tests/support is on sys.path)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field

from galleria.providers.base import ProviderEndpoint
from galleria.providers.transport import ProviderHttp

# The valid 1×1 PNG of the providers reference: clients must decode it to these exact bytes.
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
PNG = base64.b64decode(PNG_B64)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A source image as the worker passes it: bytes only, no MIME type.
SOURCE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32)


@dataclass
class FakeClock:
    """A monotonic clock that only moves when told to, or when something sleeps."""

    now: float = 1_000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


# make_http(max_retries=3, budget_seconds=240.0): the conftest fixture building a ProviderHttp.
MakeHttp = Callable[..., ProviderHttp]


def endpoint(base_url: str, label: str) -> ProviderEndpoint:
    return ProviderEndpoint(base_url=base_url, api_key="test-key", label=label)
