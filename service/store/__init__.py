"""Shared state: response cache, idempotency records, feedback, rewrite owners; Redis or in-process.

`open_shared(settings)` opens the one Redis pool of a process (or the memory
mode when `REDIS_URL` is unset); the `*_for(shared)` helpers pick the matching
implementation of each port.
"""

from service.store._cache import MemoryCache, RedisCache, ResponseCache, cache_for
from service.store._feedback import FeedbackStore, FileFeedback, RedisFeedback, feedback_for
from service.store._idempotency import (
    Claim,
    IdempotencyStore,
    MemoryIdempotency,
    RedisIdempotency,
    StoredResponse,
    idempotency_for,
)
from service.store._owners import (
    MemoryRewriteOwners,
    RedisRewriteOwners,
    RewriteOwners,
    owners_for,
)
from service.store._shared import (
    Keyspace,
    SharedState,
    StoreUnavailable,
    open_shared,
    redis_client,
)

__all__ = [
    "Claim",
    "FeedbackStore",
    "FileFeedback",
    "IdempotencyStore",
    "Keyspace",
    "MemoryCache",
    "MemoryIdempotency",
    "MemoryRewriteOwners",
    "RedisCache",
    "RedisFeedback",
    "RedisIdempotency",
    "RedisRewriteOwners",
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
