"""Which routes need which scope and which rate limit: one table, read by the middleware."""

from __future__ import annotations

from dataclasses import dataclass

from service.security._keys import Scope
from service.security._ratelimit import Limit
from service.settings import Settings


@dataclass(frozen=True, slots=True)
class RoutePolicy:
    scope: Scope | None  # the scope a key needs; None: any valid key
    limit: str  # "analyze" | "rewrite" | "default"
    idempotent: bool = False
    public: bool = False  # no key needed (catalogues); still limited per IP
    large_body: bool = False  # body limit is TACTFUL_BATCH_MAX_BODY_BYTES, not MAX_BODY_BYTES


_POLICIES: dict[tuple[str, str], RoutePolicy] = {
    ("POST", "/v1/analyze"): RoutePolicy("analyze", "analyze"),
    ("POST", "/v1/rewrites"): RoutePolicy("rewrite", "rewrite", idempotent=True),
    ("POST", "/v1/feedback"): RoutePolicy("feedback", "default", idempotent=True),
    # Idempotent too: a CRM retrying a submit after a timeout must not queue it twice.
    ("POST", "/v1/rewrite-batches"): RoutePolicy(
        "batch", "rewrite", idempotent=True, large_body=True
    ),
    ("GET", "/v1/rewrite-batches/"): RoutePolicy("batch", "default"),
    ("GET", "/v1/rules"): RoutePolicy(None, "default", public=True),
    ("GET", "/v1/strategies"): RoutePolicy(None, "default", public=True),
}
# Any other /v1 route (one added later and not listed here) needs a valid key:
# forgetting this table must never publish a route.
_OTHER_V1 = RoutePolicy(None, "default")


def policy_for(method: str, path_template: str) -> RoutePolicy | None:
    """None for routes outside /v1 (health, metrics, OpenAPI) and CORS/HEAD probes."""
    if not path_template.startswith("/v1/") or method in ("OPTIONS", "HEAD"):
        return None
    if (found := _POLICIES.get((method, path_template))) is not None:
        return found
    for (m, prefix), policy in _POLICIES.items():
        if m == method and prefix.endswith("/") and path_template.startswith(prefix):
            return policy
    return _OTHER_V1


def limits_from(settings: Settings) -> dict[str, Limit]:
    return {
        "analyze": Limit("analyze", settings.rate_analyze_per_min, settings.rate_analyze_burst),
        "rewrite": Limit("rewrite", settings.rate_rewrite_per_min, settings.rate_rewrite_burst),
        "default": Limit("default", settings.rate_default_per_min, settings.rate_default_burst),
    }
