"""API keys, authentication, rate limits and idempotency for the HTTP API.

Middleware order (outermost first): request context (observability) ->
`SecurityMiddleware` (auth, then rate limit) -> `JsonDepthMiddleware` (wraps
`receive`) -> `IdempotencyMiddleware` -> handler.
"""

from service.security._auth import Authenticator, Denial, Principal, presented_key
from service.security._bind import bind_refusal, is_loopback
from service.security._depth import JsonDepthMiddleware, JsonTooDeep, json_depth_exceeds
from service.security._idempotency_mw import IdempotencyMiddleware, fingerprint
from service.security._keys import (
    ALL_SCOPES,
    ApiKeyRecord,
    FileKeyStore,
    KeyStore,
    RedisKeyStore,
    Scope,
    digest,
    key_id,
    key_store_for,
    matches,
    new_key,
)
from service.security._middleware import SecurityMiddleware
from service.security._policy import RoutePolicy, limits_from, policy_for
from service.security._ratelimit import Decision, Limit, MemoryLimiter, RateLimiter, lease_cap
from service.security._state import SecurityState, security_state

__all__ = [
    "ALL_SCOPES",
    "ApiKeyRecord",
    "Authenticator",
    "Decision",
    "Denial",
    "FileKeyStore",
    "IdempotencyMiddleware",
    "JsonDepthMiddleware",
    "JsonTooDeep",
    "KeyStore",
    "Limit",
    "MemoryLimiter",
    "Principal",
    "RateLimiter",
    "RedisKeyStore",
    "RoutePolicy",
    "Scope",
    "SecurityMiddleware",
    "SecurityState",
    "bind_refusal",
    "digest",
    "fingerprint",
    "is_loopback",
    "json_depth_exceeds",
    "key_id",
    "key_store_for",
    "lease_cap",
    "limits_from",
    "matches",
    "new_key",
    "policy_for",
    "presented_key",
    "security_state",
]
