"""Rate limits shared across replicas: GCRA in one Lua script (one round trip per check).

GCRA keeps one number per subject, the "theoretical arrival time" (TAT): a
request is allowed when it would not push the TAT further than `burst`
emission intervals past now. Redis's own clock is used so replicas with
skewed clocks agree. When Redis is unavailable each process falls back to the
same algorithm in memory: limits stay roughly enforced (per replica) instead
of being dropped or failing every request.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from service.store import SharedState, StoreUnavailable

# Integer milliseconds throughout: Lua formats numbers with 14 significant digits.
_GCRA = """
local emission = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + emission
local allow_at = new_tat - tolerance
if now < allow_at then
  return {0, 0, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
return {1, math.floor((now - allow_at) / emission), new_tat - now, 0}
"""


@dataclass(frozen=True, slots=True)
class Limit:
    """`burst` requests at once, then one every `60/per_min` seconds."""

    name: str
    per_min: float
    burst: int

    @property
    def emission_ms(self) -> int:
        return max(1, round(60_000 / self.per_min))

    @property
    def tolerance_ms(self) -> int:
        return self.emission_ms * self.burst


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # seconds until the bucket is full again
    retry_after_s: int  # 0 when allowed
    shared: bool  # False when decided by this process alone (Redis unavailable)

    def headers(self) -> dict[str, str]:
        out = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after_s)
        return out


def _decision(limit: Limit, raw: list[Any], *, shared: bool) -> Decision:
    allowed, remaining, reset_ms, retry_ms = (int(x) for x in raw)
    return Decision(
        allowed=bool(allowed),
        limit=limit.burst,
        remaining=max(0, min(limit.burst, remaining)),
        reset_s=math.ceil(max(0, reset_ms) / 1000),
        retry_after_s=max(1, math.ceil(retry_ms / 1000)) if not allowed else 0,
        shared=shared,
    )


class MemoryLimiter:
    """The same GCRA for one process (no Redis, or Redis down)."""

    def __init__(self, *, max_subjects: int = 100_000) -> None:
        self._tat: dict[str, int] = {}
        self._max = max_subjects

    def check(self, limit: Limit, subject: str, *, shared: bool = False) -> Decision:
        now = int(time.monotonic() * 1000)
        key = f"{limit.name}:{subject}"
        tat = max(self._tat.get(key, now), now)
        new_tat = tat + limit.emission_ms
        allow_at = new_tat - limit.tolerance_ms
        if now < allow_at:
            return _decision(limit, [0, 0, tat - now, allow_at - now], shared=shared)
        if len(self._tat) >= self._max:
            self._prune(now)
        self._tat[key] = new_tat
        return _decision(
            limit, [1, (now - allow_at) // limit.emission_ms, new_tat - now, 0], shared=shared
        )

    def _prune(self, now: int) -> None:
        for key in [k for k, tat in self._tat.items() if tat <= now]:
            del self._tat[key]
        while len(self._tat) >= self._max:
            self._tat.pop(next(iter(self._tat)))


class RateLimiter:
    """Shared GCRA in Redis; per-process GCRA when Redis is absent or down."""

    def __init__(self, shared: SharedState) -> None:
        self._shared = shared
        self._memory = MemoryLimiter()
        self._script: Any = None

    async def check(self, limit: Limit, subject: str) -> Decision:
        if self._shared.redis is None:
            return self._memory.check(limit, subject, shared=False)
        key = self._shared.keys.key("rl", limit.name, subject)

        async def run(redis: Redis) -> list[Any]:
            if self._script is None:
                self._script = redis.register_script(_GCRA)
            raw: list[Any] = await self._script(
                keys=[key], args=[limit.emission_ms, limit.tolerance_ms]
            )
            return raw

        try:
            raw = await self._shared.call(run)
        except StoreUnavailable:
            return self._memory.check(limit, subject, shared=False)
        return _decision(limit, raw, shared=True)
