"""Prometheus metrics: one registry per process, shared by every app instance in it.

A private registry (not the client's global one) so building several apps in
one process (tests) never registers a metric twice. Label values are bounded:
routes are path templates, never raw paths.
"""

from __future__ import annotations

from functools import cache

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Up past the longest deadline a request can meet (embedded model: 120 s; a call that
# meets the 45 s default deadline and then a repair round takes longer than 45 s).
_LATENCY_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300,
)  # fmt: skip
# Gauge values for tactful_model_breaker_state.
BREAKER_STATE_VALUES = {"closed": 0, "half_open": 1, "open": 2}


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_latency = Histogram(
            "tactful_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.model_latency = Histogram(
            "tactful_model_call_duration_seconds",
            "One model call, including SDK-level retries.",
            ["outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.model_tokens = Counter(
            "tactful_model_tokens_total", "Tokens used by model calls.", ["kind"], registry=r
        )
        self.model_retries = Counter(
            "tactful_model_retries_total",
            "Model call attempts retried, by reason.",
            ["reason"],
            registry=r,
        )
        self.model_breaker_state = Gauge(
            "tactful_model_breaker_state",
            "Circuit breaker per model upstream: 0 closed, 1 half-open (probing), 2 open.",
            ["upstream"],
            registry=r,
        )
        self.model_breaker_transitions = Counter(
            "tactful_model_breaker_transitions_total",
            "Circuit breaker state changes per model upstream.",
            ["upstream", "state"],
            registry=r,
        )
        self.model_breaker_rejections = Counter(
            "tactful_model_breaker_rejections_total",
            "Model attempts not sent because the upstream's breaker was open.",
            ["upstream"],
            registry=r,
        )
        self.guard_outcomes = Counter(
            "tactful_guard_outcomes_total",
            "Who wrote the returned message: model, repaired (model after a repair round) "
            "or composer.",
            ["outcome"],
            registry=r,
        )
        self.cache_lookups = Counter(
            "tactful_cache_lookups_total", "Response cache lookups.", ["result"], registry=r
        )
        self.analyze_memo = Counter(
            "tactful_analyze_memo_total",
            "POST /v1/analyze answered from the in-process memo (hit) or analyzed (miss).",
            ["result"],
            registry=r,
        )
        self.rate_limited = Counter(
            "tactful_rate_limited_total", "Requests rejected with 429.", ["limit"], registry=r
        )
        self.store_fallbacks = Counter(
            "tactful_store_fallbacks_total",
            "Operations that fell back because Redis was unavailable.",
            ["what"],
            registry=r,
        )
        self.idempotent_replays = Counter(
            "tactful_idempotent_replays_total", "Responses replayed for a repeated key.", registry=r
        )
        self.batch_items = Counter(
            "tactful_batch_items_total",
            "Batch items finished by workers in this process.",
            ["status"],
            registry=r,
        )


@cache
def metrics() -> Metrics:
    return Metrics()
