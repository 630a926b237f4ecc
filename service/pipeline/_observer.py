"""The pipeline's metrics hooks, and the observer that ignores them."""

from __future__ import annotations

from typing import Protocol

from service.models import Usage


class PipelineObserver(Protocol):
    """Hooks for metrics; every method must be cheap and never raise."""

    def guard_outcome(self, outcome: str) -> None: ...  # "model" | "repaired" | "composer"

    def cache_lookup(self, hit: bool) -> None: ...

    def model_call(self, seconds: float, usage: Usage, ok: bool) -> None: ...

    def model_retry(self, reason: str) -> None: ...  # the model adapter's `on_retry`

    def breaker_transition(self, upstream: str, state: str) -> None: ...  # circuit breaker

    def breaker_rejected(self, upstream: str) -> None: ...


class NullObserver:
    """Observes nothing: the default when no metrics are wired."""

    def guard_outcome(self, outcome: str) -> None:
        return None

    def cache_lookup(self, hit: bool) -> None:
        return None

    def model_call(self, seconds: float, usage: Usage, ok: bool) -> None:
        return None

    def model_retry(self, reason: str) -> None:
        return None

    def breaker_transition(self, upstream: str, state: str) -> None:
        return None

    def breaker_rejected(self, upstream: str) -> None:
        return None
