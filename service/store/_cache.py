"""Response cache port and its in-process default."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Protocol


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
