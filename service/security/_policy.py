"""Which routes need which scope and which rate limit: one table, read by the middleware."""

from __future__ import annotations

from dataclasses import dataclass

from service.security._keys import Scope
from service.security._ratelimit import Limit
from service.settings import Settings


@dataclass(frozen=True, slots=True)
class RoutePolicy:
    scope: Scope | None  # None: public catalogue, limited per IP, no key needed
    limit: str  # "analyze" | "rewrite" | "default"
    idempotent: bool = False


_POLICIES: dict[tuple[str, str], RoutePolicy] = {
    ("POST", "/v1/analyze"): RoutePolicy("analyze", "analyze"),
    ("POST", "/v1/rewrites"): RoutePolicy("rewrite", "rewrite", idempotent=True),
    ("POST", "/v1/feedback"): RoutePolicy("feedback", "default", idempotent=True),
    ("POST", "/v1/rewrite-batches"): RoutePolicy("batch", "rewrite"),
    ("GET", "/v1/rewrite-batches/"): RoutePolicy("batch", "default"),
}
# Anything else under /v1 (catalogues, schema-like reads): public, default limit.
_PUBLIC_V1 = RoutePolicy(None, "default")


def policy_for(method: str, path_template: str) -> RoutePolicy | None:
    """None for routes outside /v1 (health, metrics, OpenAPI): no key, no limit."""
    if not path_template.startswith("/v1/"):
        return None
    if (found := _POLICIES.get((method, path_template))) is not None:
        return found
    for (m, prefix), policy in _POLICIES.items():
        if m == method and prefix.endswith("/") and path_template.startswith(prefix):
            return policy
    return _PUBLIC_V1


def limits_from(settings: Settings) -> dict[str, Limit]:
    return {
        "analyze": Limit("analyze", settings.rate_analyze_per_min, settings.rate_analyze_burst),
        "rewrite": Limit("rewrite", settings.rate_rewrite_per_min, settings.rate_rewrite_burst),
        "default": Limit("default", settings.rate_default_per_min, settings.rate_default_burst),
    }
