"""GET /health/live and GET /health/ready."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency

from service.api._state import AppRuntime
from service.observability import DEGRADED_MODEL_STATES, model_checks


@get("/health/live", sync_to_thread=False, include_in_schema=True, tags=["health"])
def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@get("/health/ready", tags=["health"])
async def ready(app_runtime: NamedDependency[AppRuntime]) -> Response[dict[str, Any]]:
    """Ready unless the configured model is broken; Redis down is only "degraded"."""
    # "ok" | "none" | "unreachable" | "failing" (recent calls failed, breaker state alongside);
    # the deterministic path still serves in every case.
    checks = await model_checks(
        app_runtime.model_status, app_runtime.runtime.model, app_runtime.model_probe
    )
    ok = app_runtime.model_status in {"ok", "none"}
    # Redis down is "degraded" but still 200: rewrites keep working without it (cache off,
    # per-process limits), so pulling every replica out of the load balancer would be worse.
    checks["redis"] = await app_runtime.shared.ping()
    degraded = not ok or checks["redis"] == "down" or checks["model"] in DEGRADED_MODEL_STATES
    return Response(
        {"status": "degraded" if degraded else "ok", "checks": checks},
        status_code=200 if ok else 503,
    )
