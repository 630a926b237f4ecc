"""More commands in flight than pooled connections wait for one instead of failing.

A burst of a thousand requests reaches Redis at once (auth, limits, cache);
with a pool that raised `MaxConnectionsError` past its size, the breaker
marked Redis down and every request was refused. `redis_client` uses a
blocking pool: the extra commands queue for a connection.
"""

from __future__ import annotations

import asyncio

import pytest

from service.store._shared import redis_client
from tests._redis_fixtures import REDIS_TEST_URL, cleanup, unique_prefix

pytestmark = pytest.mark.integration


async def test_a_burst_larger_than_the_pool_queues_for_connections() -> None:
    prefix = unique_prefix()
    client = redis_client(REDIS_TEST_URL, timeout_s=5.0, max_connections=3)
    try:
        key = f"{prefix}:n"
        results = await asyncio.gather(*(client.incr(key) for _ in range(60)))
        assert sorted(results) == list(range(1, 61))
        assert len(client.connection_pool._in_use_connections) == 0  # all were handed back
        assert client.connection_pool.max_connections == 3
    finally:
        await client.aclose()
        cleanup(prefix)
