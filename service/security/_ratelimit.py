"""Rate limits shared across replicas: GCRA in one Lua script, with short token leases.

GCRA keeps one number per subject, the "theoretical arrival time" (TAT): a
request is allowed when it would not push the TAT further than `burst`
emission intervals past now. Redis's own clock is used so replicas with
skewed clocks agree. When Redis is unavailable each process falls back to the
same algorithm in memory: limits stay roughly enforced (per replica) instead
of being dropped or failing every request.

Token leases. One Redis round trip per request costs more CPU than the rest
of a repeated `/v1/analyze`, so a process may take several tokens in one
call (a lease) and spend them locally for at most `LEASE_S` seconds; tokens
left when a lease expires are simply never spent (the limit only gets
stricter for that moment, never looser). Bounds:
- A lease is at most `lease_cap(limit)` = max(1, min(burst // 10, MAX_LEASE))
  tokens, so limits with a burst under 20 (the rewrite default, 10) stay
  exact: one atomic check per request, as before.
- A lease starts at 1 token and doubles only when the previous one ran out
  before it expired (a busy caller); after an expiry it shrinks to what was
  actually used, after a denial it is 1 again. A caller that sends a request
  now and then never holds more than the one it spends.
- Tokens are granted by Redis before they are spent, so the total spent never
  exceeds what GCRA granted. A token can be spent up to `LEASE_S` after it was
  granted, so over any window a subject gets at most
  min(LEASE_S * rate, replicas * (lease_cap - 1)) requests (rounded up) more
  than the limit allows: for the analyze default (600/min, burst 60) that is 3
  requests at most, whatever the number of replicas.
- A denial is remembered until the time Redis said to retry (at most
  `LEASE_S`): nothing can grant a token earlier, so that is exact, and a
  client hammering past its limit costs no Redis call.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from service.store import SharedState, StoreUnavailable

# Integer milliseconds throughout: Lua formats numbers with 14 significant digits.
# ARGV: emission ms, tolerance ms, tokens wanted. Grants between 1 and `want` tokens (as
# many as the bucket holds), or none. Returns {granted, remaining, reset_ms, retry_ms}.
# With want = 1 it is exactly the single-request GCRA check.
_GCRA = """
local emission = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local free = math.floor((now + tolerance - tat) / emission)
if free < 1 then
  return {0, 0, tat - now, tat + emission - tolerance - now}
end
local granted = math.min(want, free)
local new_tat = tat + granted * emission
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
return {granted, free - granted, new_tat - now, 0}
"""

LEASE_S = 0.25  # a leased token is spent within this long, or never
MAX_LEASE = 64  # tokens per lease, whatever the limit


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


def lease_cap(limit: Limit) -> int:
    """The most tokens one process may lease at once for `limit` (1: exact, no lease)."""
    return max(1, min(limit.burst // 10, MAX_LEASE))


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


@dataclass(slots=True)
class _Lease:
    """Tokens one process holds for one (limit, subject), and how many to ask for next."""

    size: int = 1  # tokens the next lease asks for
    tokens: int = 0  # leased and not spent yet
    used: int = 0  # spent from the current lease
    expires: float = 0.0  # 0: no lease taken yet (or a denial since)
    remaining: int = 0  # Redis's remaining count once the lease was granted
    full_at: float = 0.0  # clock() when the bucket is full again, as of the grant
    denied_until: float = 0.0
    retry_at: float = 0.0  # clock() of the next token, as of the last denial
    pending: asyncio.Future[None] | None = None  # a lease request in flight


class RateLimiter:
    """Shared GCRA in Redis (leasing a few tokens at a time for large limits); per-process
    GCRA when Redis is absent or down.
    """

    def __init__(
        self,
        shared: SharedState,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_subjects: int = 100_000,
    ) -> None:
        self._shared = shared
        self._memory = MemoryLimiter()
        self._script: Any = None
        self._clock = clock
        self._leases: dict[str, _Lease] = {}
        self._max = max_subjects

    async def check(self, limit: Limit, subject: str) -> Decision:
        if self._shared.redis is None:
            return self._memory.check(limit, subject, shared=False)
        key = self._shared.keys.key("rl", limit.name, subject)
        cap = lease_cap(limit)
        if cap <= 1:
            raw = await self._take(key, limit, 1)
            if raw is None:
                return self._memory.check(limit, subject, shared=False)
            return _decision(limit, raw, shared=True)
        while True:
            now = self._clock()
            lease = self._leases.get(key)
            if lease is None:
                if len(self._leases) >= self._max:
                    self._prune(now)
                lease = self._leases[key] = _Lease()
            if lease.tokens > 0 and now < lease.expires:
                return self._spend(lease, limit, now)
            if now < lease.denied_until:
                return self._denied(lease, limit, now)
            if lease.pending is None:
                return await self._renew(key, lease, limit, subject, cap, now)
            # Another request of this subject is leasing: wait for it, then look again.
            await asyncio.shield(lease.pending)

    async def _renew(
        self, key: str, lease: _Lease, limit: Limit, subject: str, cap: int, now: float
    ) -> Decision:
        if lease.expires == 0.0:
            size = 1
        elif now < lease.expires:  # ran out before it expired: a busy caller
            size = min(cap, lease.size * 2)
        else:  # expired: ask for what was actually used
            size = max(1, min(cap, lease.used))
        lease.size = size
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        lease.pending = done
        try:
            raw = await self._take(key, limit, size)
        finally:
            lease.pending = None
            if not done.done():
                done.set_result(None)
        if raw is None:
            return self._memory.check(limit, subject, shared=False)
        granted, remaining, reset_ms, retry_ms = (int(x) for x in raw)
        # The lease runs from before the call (Redis granted it after that), so no token
        # is ever spent more than LEASE_S after it was granted.
        asked, now = now, self._clock()
        if granted <= 0:
            lease.size, lease.tokens, lease.used, lease.expires = 1, 0, 0, 0.0
            lease.retry_at = now + retry_ms / 1000
            lease.denied_until = min(lease.retry_at, now + LEASE_S)
            lease.full_at = now + reset_ms / 1000
            return self._denied(lease, limit, now)
        lease.tokens, lease.used = granted, 0
        lease.expires = asked + LEASE_S
        lease.remaining = remaining
        lease.full_at = now + reset_ms / 1000
        lease.denied_until = 0.0
        return self._spend(lease, limit, now)

    def _spend(self, lease: _Lease, limit: Limit, now: float) -> Decision:
        lease.tokens -= 1
        lease.used += 1
        # Unspent leased tokens are not "used" from the caller's point of view.
        full_in_s = lease.full_at - now - lease.tokens * limit.emission_ms / 1000
        return Decision(
            allowed=True,
            limit=limit.burst,
            remaining=max(0, min(limit.burst, lease.remaining + lease.tokens)),
            reset_s=math.ceil(max(0.0, full_in_s)),
            retry_after_s=0,
            shared=True,
        )

    def _denied(self, lease: _Lease, limit: Limit, now: float) -> Decision:
        return Decision(
            allowed=False,
            limit=limit.burst,
            remaining=0,
            reset_s=math.ceil(max(0.0, lease.full_at - now)),
            retry_after_s=max(1, math.ceil(lease.retry_at - now)),
            shared=True,
        )

    async def _take(self, key: str, limit: Limit, want: int) -> list[Any] | None:
        """One atomic GCRA call taking up to `want` tokens; None when Redis is unavailable."""

        async def run(redis: Redis) -> list[Any]:
            if self._script is None:
                self._script = redis.register_script(_GCRA)
            raw: list[Any] = await self._script(
                keys=[key], args=[limit.emission_ms, limit.tolerance_ms, want]
            )
            return raw

        try:
            return await self._shared.call(run)
        except StoreUnavailable:
            return None

    def _prune(self, now: float) -> None:
        idle = [
            k
            for k, lease in self._leases.items()
            if lease.pending is None and now >= lease.expires and now >= lease.denied_until
        ]
        for k in idle:
            del self._leases[k]
        # Still full of live leases: drop the oldest tenth (their tokens are never spent).
        target = self._max - max(1, self._max // 10)
        for k in [k for k, lease in self._leases.items() if lease.pending is None]:
            if len(self._leases) <= target:
                break
            del self._leases[k]
