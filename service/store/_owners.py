"""Who each rewrite id was issued to, for as long as feedback on it is accepted.

Every rewrite id that leaves the API (a JSON answer, a stream's `result`, a
batch item) is recorded with the caller it was issued to (`key:<id>`, or
`ip:<addr>` on a keyless loopback server). `POST /v1/feedback` accepts an id
only from that same caller: a made-up id, an expired one and another tenant's
all look the same to the caller (404), so nobody learns whether an id exists.

Redis: one string per id, `<prefix>:rwowner:<rewrite id>`, written with
`SET ... EX ttl` (a cached answer re-issued to its tenant refreshes it). Without
Redis: a bounded in-process map with the same expiry.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Protocol

from service.store._shared import SharedState


class RewriteOwners(Protocol):
    """The rewrite id -> owner record (raises `StoreUnavailable` when it cannot answer)."""

    async def record(self, rewrite_id: str, owner: str) -> None:
        """Remember that `rewrite_id` was issued to `owner`."""
        ...

    async def owner_of(self, rewrite_id: str) -> str | None:
        """The owner, or None when the id was never issued here or has expired."""
        ...


class RedisRewriteOwners:
    """Shared across replicas: the replica that answers feedback need not be the one that
    issued the rewrite.
    """

    def __init__(self, shared: SharedState, *, ttl_s: int) -> None:
        self._shared = shared
        self._ttl = ttl_s

    def _key(self, rewrite_id: str) -> str:
        return self._shared.keys.key("rwowner", rewrite_id)

    async def record(self, rewrite_id: str, owner: str) -> None:
        """One `SET EX`; raises `StoreUnavailable` when Redis is down."""
        key = self._key(rewrite_id)
        await self._shared.call(lambda r: r.set(key, owner.encode(), ex=self._ttl))

    async def owner_of(self, rewrite_id: str) -> str | None:
        """One `GET`; raises `StoreUnavailable` when Redis is down."""
        key = self._key(rewrite_id)
        raw: Any = await self._shared.call(lambda r: r.get(key))
        return raw.decode() if isinstance(raw, bytes) else None


class MemoryRewriteOwners:
    """The same for one process without Redis: bounded, oldest dropped first."""

    def __init__(self, *, ttl_s: int, max_items: int = 100_000) -> None:
        self._ttl = ttl_s
        self._max = max_items
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def record(self, rewrite_id: str, owner: str) -> None:
        """Remember (or refresh) the id; drops the oldest ids past `max_items`."""
        self._items[rewrite_id] = (time.monotonic() + self._ttl, owner)
        self._items.move_to_end(rewrite_id)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    async def owner_of(self, rewrite_id: str) -> str | None:
        """The owner while the record has not expired."""
        item = self._items.get(rewrite_id)
        if item is None:
            return None
        if item[0] < time.monotonic():
            del self._items[rewrite_id]
            return None
        return item[1]


def owners_for(shared: SharedState, *, ttl_s: int) -> RewriteOwners:
    """Redis when configured, else the in-process map."""
    if shared.redis is not None:
        return RedisRewriteOwners(shared, ttl_s=ttl_s)
    return MemoryRewriteOwners(ttl_s=ttl_s)
