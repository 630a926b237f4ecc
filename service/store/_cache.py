"""Response cache port and its in-process default."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Protocol

from service.store._shared import SharedState, StoreUnavailable


class ResponseCache(Protocol):
    """Bytes by key with a TTL. Implementations must never raise on a miss."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_s: int) -> None: ...


class MemoryCache:
    """A bounded LRU with expiry, for a single process without Redis."""

    def __init__(self, *, max_items: int = 2048) -> None:
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_items

    async def get(self, key: str) -> bytes | None:
        hit = self._items.get(key)
        if hit is None:
            return None
        expires, value = hit
        if expires < time.monotonic():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        if ttl_s <= 0:
            return
        self._items[key] = (time.monotonic() + ttl_s, value)
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)


class RedisCache:
    """The shared cache: fails open (a miss) whenever Redis is unavailable."""

    def __init__(self, shared: SharedState) -> None:
        self._shared = shared

    async def get(self, key: str) -> bytes | None:
        full = self._shared.keys.key("cache", key)
        try:
            raw: Any = await self._shared.call(lambda r: r.get(full))
        except StoreUnavailable:
            return None
        return raw if isinstance(raw, bytes) else None

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        if ttl_s <= 0:
            return
        full = self._shared.keys.key("cache", key)
        try:
            await self._shared.call(lambda r: r.set(full, value, ex=ttl_s))
        except StoreUnavailable:
            return


def cache_for(shared: SharedState) -> ResponseCache:
    """Redis when configured, else the in-process LRU."""
    return RedisCache(shared) if shared.redis is not None else MemoryCache()
