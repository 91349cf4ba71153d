"""HTTP for the cloud providers: one cached httpx client, bounded retries inside a time budget.

httpx is imported only inside this package; the worker loads provider modules lazily, so the API
functions never pay for it at cold start.
"""

from __future__ import annotations

import base64
import binascii
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

import httpx
from aws_lambda_powertools import Logger
from pydantic import BaseModel, ValidationError

from galleria.config import get_settings
from galleria.providers.base import ProviderError

logger = Logger(child=True)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
CONNECT_TIMEOUT_SECONDS = 10.0
_PROBLEMS = {
    408: "timed out waiting for the request",
    429: "is rate limiting requests",
    500: "had an internal error",
    502: "had a gateway error",
    503: "is overloaded",
    504: "timed out on its side",
}
# Raised before the request reached the server: repeating it cannot create a second job.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# The request may have been received and acted on.
_INTERRUPTED = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def header_delay(response: httpx.Response, *, now: Callable[[], float] = time.time) -> float | None:
    """The wait the server asked for: ``retry-after-ms`` (OpenAI), else ``Retry-After`` in seconds or
    as an HTTP-date; None when it named none."""
    milliseconds = response.headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now())


def _no_opinion(_response: httpx.Response) -> bool | None:
    return None


@dataclass(frozen=True)
class ApiProfile:
    """How one provider's API explains its errors and asks for delays."""

    name: str  # used in messages: "Gemini", "OpenAI", "BFL"
    describe: Callable[[httpx.Response], str]  # a short summary of an error response
    server_delay: Callable[[httpx.Response], float | None] = header_delay
    # True/False overrides the status-based decision (OpenAI's x-should-retry, quota errors).
    should_retry: Callable[[httpx.Response], bool | None] = _no_opinion


class Budget:
    """The time one ``generate`` call may take, measured on a monotonic clock from its start."""

    def __init__(self, seconds: float, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.seconds = seconds
        self._clock = clock
        self._sleep = sleep
        self._deadline = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._deadline - self._clock())

    def fits(self, delay: float) -> bool:
        """Whether waiting ``delay`` seconds still leaves time for another request."""
        return delay < self.remaining()

    def sleep(self, delay: float) -> None:
        self._sleep(delay)

    def exhausted(self, name: str) -> ProviderError:
        return ProviderError(
            f"{name} did not finish within the {self.seconds:g} s time budget", retryable=True
        )


class ProviderHttp:
    """Sends provider requests with bounded retries, exponential backoff with full jitter and a budget.

    Retried: 408/429/500/502/503/504, timeouts and connection errors, at most ``max_retries`` times.
    A delay the server asks for wins over the backoff. No attempt is started and no sleep taken
    past the budget. The client is created on first use and shared by every call (and thread).
    """

    def __init__(
        self,
        *,
        max_retries: int | None = None,
        budget_seconds: float | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        settings = get_settings()
        self.max_retries = settings.provider_max_retries if max_retries is None else max_retries
        self.budget_seconds = settings.provider_budget_seconds if budget_seconds is None else budget_seconds
        self._transport = transport
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                # Redirects are not followed: a provider's redirect must not lead past check_fetch_url.
                self._client = httpx.Client(transport=self._transport, follow_redirects=False)
            return self._client

    def start_budget(self) -> Budget:
        return Budget(self.budget_seconds, self._clock, self._sleep)

    def send(
        self,
        method: str,
        url: str,
        *,
        api: ApiProfile,
        read_timeout: float,
        budget: Budget | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        retry_server_errors: bool = True,
    ) -> httpx.Response:
        """Return the first response that is not retried, whatever its status.

        With ``retry_server_errors=False`` only 429 and failures to connect are retried: for a POST
        that creates a billed job, a 5xx or a timeout may come after the job was created.
        Raises ``ProviderError(retryable=True)`` when the retries or the budget run out.
        """
        budget = budget or self.start_budget()
        attempt = 0
        while True:
            attempt += 1
            remaining = budget.remaining()
            if remaining <= 0:
                raise budget.exhausted(api.name)
            timeout = httpx.Timeout(
                min(read_timeout, remaining), connect=min(CONNECT_TIMEOUT_SECONDS, remaining)
            )
            delay: float | None = None
            try:
                response = self.client.request(
                    method, url, headers=headers, json=json, params=params, timeout=timeout
                )
            except _NOT_SENT as exc:
                problem = f"{api.name} could not be reached ({type(exc).__name__})"
            except _INTERRUPTED as exc:
                problem = _interruption(api.name, exc, timeout)
                if not retry_server_errors:
                    raise ProviderError(
                        f"{problem}; the request was not repeated because {api.name} may already have "
                        "accepted it"
                    ) from exc
            except httpx.TransportError as exc:
                raise ProviderError(f"{api.name} could not be called ({type(exc).__name__}: {exc})") from exc
            else:
                if not _should_retry(response, api, retry_server_errors):
                    return response
                status = response.status_code
                problem = f"{api.name} {_PROBLEMS.get(status, 'failed')} ({api.describe(response)})"
                delay = api.server_delay(response)
            delay = self._next_delay(problem, attempt, delay, budget)
            logger.warning(
                "provider call retried", provider=api.name, attempt=attempt, delay=delay, problem=problem
            )
            budget.sleep(delay)

    def _next_delay(self, problem: str, attempt: int, requested: float | None, budget: Budget) -> float:
        """The wait before another attempt: the server's if it named one, else a jittered backoff.

        Raises the retryable error once the retries are spent or the wait would pass the budget.
        """
        tried = f"after {attempt} attempt{'s' if attempt > 1 else ''}"
        if attempt > self.max_retries:
            raise ProviderError(f"{problem} {tried}", retryable=True)
        backoff = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        delay = requested if requested is not None else backoff * self._jitter()
        if not budget.fits(delay):
            raise ProviderError(
                f"{problem} {tried}; waiting {delay:.1f} s more would pass the "
                f"{budget.seconds:g} s time budget",
                retryable=True,
            )
        return delay


@cache
def shared_http() -> ProviderHttp:
    """The ProviderHttp every provider uses unless given one: its connections outlive a single job."""
    return ProviderHttp()


def _should_retry(response: httpx.Response, api: ApiProfile, retry_server_errors: bool) -> bool:
    if response.is_success:
        return False
    if not retry_server_errors and response.status_code != 429:
        return False
    verdict = api.should_retry(response)
    if verdict is not None:
        return verdict
    return response.status_code in RETRY_STATUSES


def _interruption(name: str, exc: Exception, timeout: httpx.Timeout) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"{name} did not answer within {timeout.read:g} s"
    return f"{name} dropped the connection ({type(exc).__name__})"


def check_fetch_url(url: str, *, base_url: str, domains: tuple[str, ...], name: str) -> str:
    """Return ``url`` if it may be fetched: a URL a provider hands us must point at that provider.

    Allowed: the configured base URL's scheme and host (that is how a local emulator on
    http://127.0.0.1:port works), or https to the base host or a host under one of ``domains``.
    Anything else (cloud metadata addresses, internal hosts, plain http) is refused.
    """
    try:
        target, base = httpx.URL(url), httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise ProviderError(f"{name} sent a link that is not a valid URL") from exc
    host = target.host
    same_origin = (target.scheme, host, target.port) == (base.scheme, base.host, base.port)
    own_host = host == base.host or any(host == domain or host.endswith(f".{domain}") for domain in domains)
    if host and (same_origin or (target.scheme == "https" and own_host)):
        return url
    raise ProviderError(
        f"{name} sent a link to {target.scheme}://{host}, which is not one of its hosts; not fetched"
    )


def read_model[Model: BaseModel](response: httpx.Response, model: type[Model], name: str) -> Model:
    """Parse a JSON body into ``model``; a body that is not JSON or has the wrong shape is an error."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise ProviderError(f"{name} returned a response that could not be read") from exc


def decode_base64(data: str, name: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProviderError(f"{name} returned image data that is not valid base64") from exc
