"""Which model failures are worth another attempt, and how long to wait first.

Kept apart from the adapter so the policy reads as a table: transient
(connection, timeout, 408/409/429/5xx, a malformed body) vs. final (400, 401,
403, 404, 422, a 429 that means the account is out of quota).

The SDK wraps most transport failures in `APIConnectionError`, but not all:
a body cut off or undecodable after the status line arrived (non-streaming
JSON, or mid-stream SSE) surfaces as the transport's own exception
(httpx / httpx2 / aiohttp) or a `ValueError` from the JSON decoder. Those are
classified here too, so nothing the SDK or a transport raises escapes as an
unclassified error.
"""

from __future__ import annotations

import asyncio
import math
import random

import aiohttp
import httpx
import httpx2
import openai
from tenacity import RetryCallState
from tenacity.stop import stop_base

# HTTP statuses that say "try again later"; every 5xx is added by the check.
RETRYABLE_STATUSES = frozenset({408, 409, 429})
# A 429 with this code is a billing state, not congestion: retrying cannot help.
QUOTA_CODES = frozenset({"insufficient_quota"})
# Final statuses that still say the *endpoint* is unusable (bad key, wrong URL, no quota),
# not that this one request was bad: they count against the circuit breaker.
ENDPOINT_STATUSES = frozenset({401, 403, 404, 429})
# Connections dropped or reset below the SDK (mid-body, mid-stream).
_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    httpx.TransportError,
    httpx2.TransportError,
    aiohttp.ClientError,
    asyncio.IncompleteReadError,
    ConnectionError,
    OSError,
)


class MalformedResponse(Exception):
    """The endpoint answered 2xx with something that is not a chat completion.

    Seen with overloaded proxies and half-started local servers; usually gone on
    the next attempt, so it is treated as transient.
    """


def retry_reason(exc: BaseException) -> str | None:
    """A short label for a transient failure (used for metrics), or None if final."""
    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, MalformedResponse | openai.APIResponseValidationError):
        return "malformed"
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429 and _error_code(exc) in QUOTA_CODES:
            return None
        if status in RETRYABLE_STATUSES or status >= 500:
            return f"status_{status}"
        return None
    if isinstance(exc, openai.APIError):
        return "api_error"  # an error event inside a 200 stream: the server broke mid-answer
    if isinstance(exc, _TRANSPORT_ERRORS):
        return "connection"
    if isinstance(exc, ValueError | httpx.DecodingError | httpx2.DecodingError):
        return "malformed"  # cut-off JSON, HTML, bad UTF-8 or gzip in a 2xx body
    return None


def is_transient(exc: BaseException) -> bool:
    return retry_reason(exc) is not None


def counts_against_upstream(exc: BaseException) -> bool:
    """Does this failure say the endpoint is unwell (breaker), rather than this request bad?

    Transient failures do, and so do endpoint-level refusals (401/403/404/429).
    A 400 or 422 means the endpoint answered sensibly about one request.
    Anything unclassified counts: we cannot tell it from a broken upstream.
    """
    if is_transient(exc):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in ENDPOINT_STATUSES
    return True


def _error_code(exc: openai.APIStatusError) -> str | None:
    """The OpenAI error code, from `.code` or the body's `type` (some proxies only set that)."""
    if exc.code:
        return exc.code
    body = exc.body
    if isinstance(body, dict):
        for key in ("code", "type"):
            value = body.get(key)
            if isinstance(value, str):
                return value
    return None


def retry_after_s(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, then `Retry-After`), if any.

    Only numeric forms are honoured; an HTTP-date `Retry-After` falls back to
    our own backoff, which is always bounded.
    """
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) / divisor
        except ValueError:
            continue
        if math.isfinite(value) and value >= 0:
            return value
    return None


class RetryAfterOrBackoff:
    """Tenacity wait: the server's `Retry-After` (capped), else exponential backoff with jitter.

    Full jitter on the exponential part spreads out the retries of many
    concurrent requests that failed together.
    """

    def __init__(self, *, initial_s: float, max_s: float, retry_after_cap_s: float) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.retry_after_cap_s = retry_after_cap_s

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        asked = retry_after_s(exc)
        if asked is not None:
            return min(asked, self.retry_after_cap_s)
        ceiling = min(self.max_s, self.initial_s * 2 ** (retry_state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)


class StopIfAskedToWaitLonger(stop_base):
    """Tenacity stop: the server asked for a longer pause than one request waits.

    Sitting out `Retry-After: 60` would hold the caller for a minute; retrying
    sooner disobeys the server. Neither is right, so the call ends and degrades.
    """

    def __init__(self, cap_s: float) -> None:
        self.cap_s = cap_s

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        asked = retry_after_s(outcome.exception() if outcome is not None else None)
        return asked is not None and asked > self.cap_s
