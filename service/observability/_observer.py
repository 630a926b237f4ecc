"""The pipeline's metrics hooks, backed by the process's Prometheus registry."""

from __future__ import annotations

from service.models import Usage
from service.observability._metrics import BREAKER_STATE_VALUES, Metrics, metrics


class MetricsObserver:
    """Implements `service.pipeline.PipelineObserver` (model retries and breaker hooks included)."""

    def __init__(self, registry: Metrics | None = None) -> None:
        self._m = registry or metrics()

    def guard_outcome(self, outcome: str) -> None:
        self._m.guard_outcomes.labels(outcome=outcome).inc()

    def cache_lookup(self, hit: bool) -> None:
        self._m.cache_lookups.labels(result="hit" if hit else "miss").inc()

    def model_call(self, seconds: float, usage: Usage, ok: bool) -> None:
        self._m.model_latency.labels(outcome="ok" if ok else "error").observe(seconds)
        if usage.prompt_tokens:
            self._m.model_tokens.labels(kind="prompt").inc(usage.prompt_tokens)
        if usage.completion_tokens:
            self._m.model_tokens.labels(kind="completion").inc(usage.completion_tokens)

    def model_retry(self, reason: str) -> None:
        self._m.model_retries.labels(reason=reason).inc()

    def breaker_transition(self, upstream: str, state: str) -> None:
        self._m.model_breaker_transitions.labels(upstream=upstream, state=state).inc()
        self._m.model_breaker_state.labels(upstream=upstream).set(BREAKER_STATE_VALUES[state])

    def breaker_rejected(self, upstream: str) -> None:
        self._m.model_breaker_rejections.labels(upstream=upstream).inc()
