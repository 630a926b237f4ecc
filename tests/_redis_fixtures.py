"""Helpers for tests against the real Redis on loopback (DB 13, one key prefix per test).

Only keys under the test's own prefix (and its SAQ queue) are ever deleted.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis

from service.settings import Settings

REDIS_TEST_URL = os.environ.get("TACTFUL_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
# Nothing listens here: used to simulate "Redis is down".
CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"


def unique_prefix() -> str:
    return f"tt-{uuid.uuid4().hex[:12]}"


def redis_settings(prefix: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "embedded_model": "off",
        "redis_url": REDIS_TEST_URL,
        "redis_prefix": prefix,
        "cache_ttl_s": 300,
    }
    values.update(overrides)
    return Settings(**values)


def cleanup(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        for pattern in (f"{prefix}:*", f"saq:{prefix}:*", f"saq:job:{prefix}:*"):
            keys = list(client.scan_iter(match=pattern, count=500))
            if keys:
                client.delete(*keys)
    finally:
        client.close()


def sync_client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_TEST_URL)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """Run `app` under uvicorn on this event loop; yields its base URL.

    Litestar's AsyncTestClient handles one request at a time, so tests of
    concurrent requests (409 while in flight) need a real server.
    """
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="on", log_config=None, access_log=False
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
