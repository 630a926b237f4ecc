"""A circuit breaker per upstream: stop calling an endpoint that keeps failing.

closed --N consecutive failed attempts--> open --reset_after_s--> half_open.
In half_open exactly one probe attempt goes through: success closes the
breaker, failure opens it again. While open, calls fail at once, so a dead
provider costs each request nothing instead of its whole retry budget, and
the provider gets room to recover. A server-directed wait we will not sit out
inside one request (`Retry-After` beyond our cap) opens the breaker until
that time: every request would get the same answer.

Not thread-safe by design: one breaker lives on one event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from service.settings import DEFAULT_MODEL_BREAKER_FAILURES, DEFAULT_MODEL_BREAKER_RESET_S

BreakerState = Literal["closed", "open", "half_open"]

DEFAULT_FAILURE_THRESHOLD = DEFAULT_MODEL_BREAKER_FAILURES
DEFAULT_RESET_AFTER_S = DEFAULT_MODEL_BREAKER_RESET_S
# A server asking for a longer pause than this is not taken literally.
MAX_HOLD_S = 600.0


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """What readiness and logs show about one upstream."""

    upstream: str
    state: BreakerState
    consecutive_failures: int
    last_failure: str | None
    retry_in_s: float  # 0 unless open

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state,
            "consecutive_failures": self.consecutive_failures,
            "last_failure": self.last_failure,
            "retry_in_s": round(self.retry_in_s, 1),
        }


class CircuitBreaker:
    """Counts consecutive failed attempts against one upstream and gates new ones.

    Args:
        upstream: a bounded label (host of the endpoint), used in metrics.
        failure_threshold: consecutive failed attempts that open the breaker.
        reset_after_s: how long it stays open before one probe is allowed.
        on_transition: called with (upstream, new_state) on every state change.
        on_reject: called with the upstream when an attempt is refused.
        clock: monotonic seconds; tests inject a fake one.
    """

    def __init__(
        self,
        *,
        upstream: str,
        failure_threshold: int = DEFAULT_FAILURE_THRESHOLD,
        reset_after_s: float = DEFAULT_RESET_AFTER_S,
        on_transition: Callable[[str, BreakerState], None] | None = None,
        on_reject: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_after_s < 0:
            raise ValueError("reset_after_s must not be negative")
        self.upstream = upstream
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self._on_transition = on_transition
        self._on_reject = on_reject
        self._clock = clock
        self._open = False
        self._open_until = 0.0
        self._probe_started: float | None = None
        self._failures = 0
        self._last_failure: str | None = None

    @property
    def state(self) -> BreakerState:
        if not self._open:
            return "closed"
        return "open" if self._clock() < self._open_until else "half_open"

    def retry_in_s(self) -> float:
        return max(0.0, self._open_until - self._clock()) if self._open else 0.0

    def snapshot(self) -> BreakerSnapshot:
        return BreakerSnapshot(
            upstream=self.upstream,
            state=self.state,
            consecutive_failures=self._failures,
            last_failure=self._last_failure,
            retry_in_s=self.retry_in_s(),
        )

    def allow(self) -> bool:
        """May an attempt go out now? In half_open, True for exactly one probe at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open":
            now = self._clock()
            # A probe that never reported back (cancelled, lost) frees its slot after a while.
            stale = self._probe_started is not None and (
                now - self._probe_started >= max(self.reset_after_s, 1.0)
            )
            if self._probe_started is None or stale:
                if self._probe_started is None:
                    self._notify("half_open")
                self._probe_started = now
                return True
        if self._on_reject is not None:
            self._on_reject(self.upstream)
        return False

    def record_success(self) -> None:
        was_open = self._open
        self._open = False
        self._probe_started = None
        self._failures = 0
        if was_open:
            self._notify("closed")

    def record_failure(self, reason: str, *, hold_s: float | None = None) -> None:
        """One failed attempt; `hold_s` opens the breaker for at least that long at once."""
        self._failures += 1
        self._last_failure = reason
        probing = self._probe_started is not None
        self._probe_started = None
        if probing or self._failures >= self.failure_threshold or hold_s is not None:
            pause = self.reset_after_s if hold_s is None else min(max(hold_s, 0.0), MAX_HOLD_S)
            until = self._clock() + pause
            was_open = self._open and self._clock() < self._open_until
            self._open = True
            self._open_until = max(until, self._open_until) if was_open else until
            if not was_open:
                self._notify("open")

    def release(self) -> None:
        """The probe ended without a verdict (cancelled): let the next caller probe."""
        self._probe_started = None

    def _notify(self, state: BreakerState) -> None:
        if self._on_transition is not None:
            self._on_transition(self.upstream, state)
