"""Idempotency-Key storage: first response stored, replayed; conflicts detected atomically.

One record per (caller, key): `inflight` while the first request runs (with a
short lock TTL, so a crashed process cannot wedge a key forever), then `done`
with the stored response for 24 h. The fingerprint of the request (method,
path, body, and whether a stream was asked for) is stored with the record: the
same key with a different request is a client bug (422).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from redis.asyncio import Redis

from service.store._shared import SharedState

# How long an in-flight claim holds if its process dies before finishing.
INFLIGHT_LOCK_S = 120

_BEGIN = """
local cur = redis.call('HMGET', KEYS[1], 'state', 'fp', 'response')
if not cur[1] then
  redis.call('HSET', KEYS[1], 'state', 'inflight', 'fp', ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return {'new'}
end
if cur[2] ~= ARGV[1] then return {'mismatch'} end
if cur[1] == 'inflight' then return {'inflight'} end
return {'done', cur[3]}
"""

_COMPLETE = """
local cur = redis.call('HMGET', KEYS[1], 'state', 'fp')
if cur[1] ~= 'inflight' or cur[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'response', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

_RELEASE = """
local cur = redis.call('HMGET', KEYS[1], 'state', 'fp')
if cur[1] == 'inflight' and cur[2] == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
"""


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def dumps(self) -> str:
        return json.dumps(
            {
                "status": self.status,
                "headers": self.headers,
                "body": self.body.decode("utf-8", errors="replace"),
            }
        )

    @classmethod
    def loads(cls, raw: str | bytes) -> StoredResponse:
        data = json.loads(raw)
        return cls(
            int(data["status"]),
            [(str(k), str(v)) for k, v in data["headers"]],
            str(data["body"]).encode("utf-8"),
        )


@dataclass(frozen=True, slots=True)
class Claim:
    state: Literal["new", "mismatch", "inflight", "done"]
    response: StoredResponse | None = None


class IdempotencyStore(Protocol):
    async def begin(self, key: str, fingerprint: str) -> Claim: ...

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None: ...

    async def release(self, key: str, fingerprint: str) -> None: ...


class RedisIdempotency:
    """Check-then-write in Lua, so two replicas can never both claim a key."""

    def __init__(self, shared: SharedState, *, ttl_s: int) -> None:
        self._shared = shared
        self._ttl = ttl_s
        self._scripts: dict[str, Any] = {}

    def _script(self, redis: Redis, name: str, source: str) -> Any:
        if name not in self._scripts:
            self._scripts[name] = redis.register_script(source)
        return self._scripts[name]

    def _key(self, key: str) -> str:
        return self._shared.keys.key("idem", key)

    async def begin(self, key: str, fingerprint: str) -> Claim:
        async def run(r: Redis) -> list[Any]:
            out: list[Any] = await self._script(r, "begin", _BEGIN)(
                keys=[self._key(key)], args=[fingerprint, INFLIGHT_LOCK_S]
            )
            return out

        out = await self._shared.call(run)
        state = out[0].decode() if isinstance(out[0], bytes) else str(out[0])
        if state == "done":
            return Claim("done", StoredResponse.loads(out[1]))
        return Claim(state)  # type: ignore[arg-type]

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        async def run(r: Redis) -> object:
            return await self._script(r, "complete", _COMPLETE)(
                keys=[self._key(key)], args=[fingerprint, response.dumps(), self._ttl]
            )

        await self._shared.call(run)

    async def release(self, key: str, fingerprint: str) -> None:
        async def run(r: Redis) -> object:
            return await self._script(r, "release", _RELEASE)(
                keys=[self._key(key)], args=[fingerprint]
            )

        await self._shared.call(run)


class MemoryIdempotency:
    """The same semantics for one process without Redis."""

    def __init__(self, *, ttl_s: int, max_items: int = 10_000) -> None:
        self._ttl = ttl_s
        self._max = max_items
        # key -> (expires_at, state, fingerprint, response)
        self._items: dict[str, tuple[float, str, str, StoredResponse | None]] = {}

    async def begin(self, key: str, fingerprint: str) -> Claim:
        now = time.monotonic()
        item = self._items.get(key)
        if item is None or item[0] < now:
            if len(self._items) >= self._max:
                self._prune(now)
            self._items[key] = (now + INFLIGHT_LOCK_S, "inflight", fingerprint, None)
            return Claim("new")
        _, state, fp, response = item
        if fp != fingerprint:
            return Claim("mismatch")
        if state == "inflight":
            return Claim("inflight")
        return Claim("done", response)

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        item = self._items.get(key)
        if item is not None and item[1] == "inflight" and item[2] == fingerprint:
            self._items[key] = (time.monotonic() + self._ttl, "done", fingerprint, response)

    async def release(self, key: str, fingerprint: str) -> None:
        item = self._items.get(key)
        if item is not None and item[1] == "inflight" and item[2] == fingerprint:
            del self._items[key]

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._items.items() if v[0] < now]:
            del self._items[key]
        while len(self._items) >= self._max:
            self._items.pop(next(iter(self._items)))


def idempotency_for(shared: SharedState, *, ttl_s: int) -> IdempotencyStore:
    if shared.redis is not None:
        return RedisIdempotency(shared, ttl_s=ttl_s)
    return MemoryIdempotency(ttl_s=ttl_s)
