"""The process's Redis connection pool, its key namespace, and a small circuit breaker.

One pool per process, opened by `open_runtime` and closed on exit. Every store
goes through `SharedState.call`, which turns any Redis failure into
`StoreUnavailable` and, after a failure, skips Redis for a short cool-down so a
dead server costs one timeout per cool-down rather than one per request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from service.errors import Unavailable
from service.settings import Settings

_log = logging.getLogger("tactful.store")
T = TypeVar("T")

# After a failure, skip Redis for this long before trying again.
DEFAULT_COOLDOWN_S = 1.0


class StoreUnavailable(Unavailable):
    """Shared state could not be reached; the caller decides to fail open or closed."""


@dataclass(frozen=True, slots=True)
class Keyspace:
    """Every key starts with `<prefix>:` so several deployments (or test runs) can share a DB."""

    prefix: str

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))


@dataclass(slots=True)
class SharedState:
    """Redis (or nothing) plus the namespace; `redis is None` means single-process memory mode."""

    redis: Redis | None
    keys: Keyspace
    url: str | None = None
    cooldown_s: float = DEFAULT_COOLDOWN_S
    _down_until: float = field(default=0.0)
    _last_error: str | None = field(default=None)
    _healthy: bool = field(default=True)

    @property
    def mode(self) -> str:
        return "memory" if self.redis is None else "redis"

    @property
    def available(self) -> bool:
        return self.redis is not None and time.monotonic() >= self._down_until

    async def call(self, op: Callable[[Redis], Awaitable[T]]) -> T:
        """Run one Redis operation; raise `StoreUnavailable` on any connection/server error."""
        if self.redis is None:
            raise StoreUnavailable("no Redis configured")
        if time.monotonic() < self._down_until:
            raise StoreUnavailable(self._last_error or "Redis recently failed")
        try:
            result = await op(self.redis)
        except (RedisError, OSError, TimeoutError) as exc:
            self._trip(exc)
            raise StoreUnavailable(type(exc).__name__) from exc
        self._recovered()
        return result

    async def ping(self) -> str:
        """One of "ok", "down", "memory" (no Redis); never raises; ignores the breaker."""
        if self.redis is None:
            return "memory"
        try:
            await self.redis.ping()
        except (RedisError, OSError, TimeoutError) as exc:
            self._trip(exc)
            return "down"
        self._down_until = 0.0
        self._recovered()
        return "ok"

    def _trip(self, exc: BaseException) -> None:
        if self._healthy:
            # Logged on the transition only, with the type only: messages can carry
            # connection details.
            _log.warning(
                "redis unavailable (%s): cache off, limits per process, feedback and "
                "batches refused until it is back",
                type(exc).__name__,
            )
        self._healthy = False
        self._last_error = type(exc).__name__
        self._down_until = time.monotonic() + self.cooldown_s

    def _recovered(self) -> None:
        if not self._healthy:
            _log.warning("redis reachable again: shared state restored")
            self._healthy = True


# How long a command may wait for a free pooled connection (a burst, not an outage).
POOL_WAIT_S = 5.0


def redis_client(url: str, *, timeout_s: float | None, max_connections: int = 100) -> Redis:
    """A pooled async client; `timeout_s=None` for clients that block (the queue's dequeue).

    When every pooled connection is in use, a command waits for one (up to
    `POOL_WAIT_S`, or `timeout_s` if longer) instead of failing: a burst of a
    thousand requests must queue for Redis, not trip the breaker and be refused
    (bench/README.md, 1,000 in flight). A busy pool is not a Redis outage; a
    dead Redis still fails each command within `timeout_s`.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=None if timeout_s is None else max(timeout_s, POOL_WAIT_S),
        socket_connect_timeout=timeout_s if timeout_s is not None else 2.0,
        socket_timeout=timeout_s,
        health_check_interval=30,
        # One immediate retry on a fresh connection: enough to survive a pooled
        # connection that died with a Redis restart, without multiplying the wait
        # when Redis is really down (the breaker handles that).
        retry=Retry(NoBackoff(), 1),
    )
    return Redis.from_pool(pool)  # the client owns the pool: closing it closes the pool


@asynccontextmanager
async def open_shared(settings: Settings) -> AsyncIterator[SharedState]:
    """Open the pool once per process (lazily connects: a down Redis does not block start-up)."""
    keys = Keyspace(settings.redis_prefix)
    if not settings.redis_url:
        _log.warning(
            "REDIS_URL is not set: cache, rate limits and idempotency are in memory for this "
            "process only; batches are unavailable; run one replica"
        )
        yield SharedState(redis=None, keys=keys)
        return
    client = redis_client(settings.redis_url, timeout_s=settings.redis_timeout_s)
    state = SharedState(redis=client, keys=keys, url=settings.redis_url)
    status = await state.ping()
    (_log.info if status == "ok" else _log.warning)(
        "shared state in redis (prefix %r): %s", settings.redis_prefix, status
    )
    try:
        yield state
    finally:
        await client.aclose()
