"""API keys, authentication, rate limits and idempotency for the HTTP API.

Middleware order (outermost first): request context (observability) ->
`SecurityMiddleware` (auth, then rate limit) -> `JsonDepthMiddleware` (wraps
`receive`) -> `IdempotencyMiddleware` -> handler.
The face is what other packages use; tests reach the parts in the private modules.
"""

from service.security._bind import bind_refusal, is_loopback
from service.security._depth import JsonDepthMiddleware
from service.security._idempotency_mw import IdempotencyMiddleware
from service.security._keys import ALL_SCOPES, key_store_for, new_key
from service.security._middleware import SecurityMiddleware
from service.security._policy import policy_for
from service.security._state import security_state

__all__ = [
    "ALL_SCOPES",
    "IdempotencyMiddleware",
    "JsonDepthMiddleware",
    "SecurityMiddleware",
    "bind_refusal",
    "is_loopback",
    "key_store_for",
    "new_key",
    "policy_for",
    "security_state",
]
