"""Shared state: response cache, idempotency records, feedback, rewrite owners; Redis or in-process.

`open_shared(settings)` opens the one Redis pool of a process (or the memory
mode when `REDIS_URL` is unset); the `*_for(shared)` helpers pick the matching
implementation of each port. The face is what other packages use; tests reach
the implementations in the private modules.
"""

from service.store._cache import ResponseCache, cache_for
from service.store._feedback import FeedbackStore, feedback_for
from service.store._idempotency import IdempotencyStore, StoredResponse, idempotency_for
from service.store._owners import RewriteOwners, owners_for
from service.store._shared import SharedState, StoreUnavailable, open_shared, redis_client

__all__ = [
    "FeedbackStore",
    "IdempotencyStore",
    "ResponseCache",
    "RewriteOwners",
    "SharedState",
    "StoreUnavailable",
    "StoredResponse",
    "cache_for",
    "feedback_for",
    "idempotency_for",
    "open_shared",
    "owners_for",
    "redis_client",
]
