"""Shared state: response cache (and, with Redis, limits, idempotency, feedback)."""

from service.store._cache import MemoryCache, ResponseCache

__all__ = ["MemoryCache", "ResponseCache"]
