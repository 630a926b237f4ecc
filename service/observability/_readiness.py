"""The model's entry in `/health/ready`: what recent calls say, then what a probe says.

A probe (`GET /models`) only proves the endpoint answers; a provider that
accepts connections but fails every completion with 429/5xx/401 looks fine to
it. So the circuit breaker's record of real calls comes first: an open or
probing breaker, or a last call that failed, reports "failing". Still HTTP 200
with status "degraded": the composer keeps serving, and taking every replica
out of rotation because a shared provider is down would help no one.
"""

from __future__ import annotations

from typing import Any

from service.llm import CircuitBreaker
from service.observability._probe import ModelProbe

# Values of checks.model: "ok", "none" (no model configured), "unreachable" (probe
# failed), "failing" (recent calls failed or the breaker is open).
DEGRADED_MODEL_STATES = frozenset({"unreachable", "failing"})


async def model_checks(status: str, model: object, probe: ModelProbe | None) -> dict[str, Any]:
    """`{"model": ..., "model_breaker": {...}}` for the readiness document."""
    if status != "ok":
        return {"model": status}
    breaker = getattr(model, "breaker", None)
    out: dict[str, Any] = {}
    if isinstance(breaker, CircuitBreaker):
        snap = breaker.snapshot()
        out["model_breaker"] = snap.as_dict()
        if snap.state != "closed" or snap.consecutive_failures:
            out["model"] = "failing"
            return out
    out["model"] = await probe.status() if probe is not None else "ok"
    return out
