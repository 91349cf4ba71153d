"""Fixtures of the provider clients' tests: HTTP on a clock that never really sleeps."""

from __future__ import annotations

import pytest
from provider_fakes import FakeClock, MakeHttp

from galleria.providers.transport import ProviderHttp


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_http(clock: FakeClock) -> MakeHttp:
    """ProviderHttp on the fake clock, with the jitter pinned to its upper bound."""

    def make(*, max_retries: int = 3, budget_seconds: float = 240.0) -> ProviderHttp:
        return ProviderHttp(
            max_retries=max_retries,
            budget_seconds=budget_seconds,
            sleep=clock.sleep,
            clock=clock.monotonic,
            jitter=lambda: 1.0,
        )

    return make


@pytest.fixture
def http(make_http: MakeHttp) -> ProviderHttp:
    return make_http()
