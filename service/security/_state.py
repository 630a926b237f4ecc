"""The per-process objects the security middleware needs, built once in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from service.observability import Metrics, metrics
from service.security._auth import Authenticator
from service.security._keys import key_store_for
from service.security._policy import limits_from
from service.security._ratelimit import Limit, RateLimiter
from service.settings import Settings
from service.store import IdempotencyStore, SharedState, idempotency_for


@dataclass(slots=True)
class SecurityState:
    auth: Authenticator
    limiter: RateLimiter
    limits: dict[str, Limit]
    idempotency: IdempotencyStore
    max_body_bytes: int
    max_batch_body_bytes: int
    metrics: Metrics
    # Redis configured: a decision made without it is a fallback worth counting. In memory
    # mode (no REDIS_URL) every decision is local by design, not a fallback.
    shared_configured: bool = False


def security_state(shared: SharedState, settings: Settings) -> SecurityState:
    return SecurityState(
        auth=Authenticator(
            key_store_for(shared, settings.api_keys_file), always=settings.require_api_key
        ),
        limiter=RateLimiter(shared),
        limits=limits_from(settings),
        idempotency=idempotency_for(shared, ttl_s=settings.idempotency_ttl_s),
        max_body_bytes=settings.max_body_bytes,
        max_batch_body_bytes=settings.batch_max_body_bytes,
        metrics=metrics(),
        shared_configured=shared.redis is not None,
    )
