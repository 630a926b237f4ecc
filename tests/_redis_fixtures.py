"""Helpers for tests against the real Redis on loopback (DB 13, one key prefix per test).

Only keys under the test's own prefix (and its SAQ queue) are ever deleted.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import redis

from service.settings import Settings

REDIS_TEST_URL = os.environ.get("TACTFUL_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
# Nothing listens here: used to simulate "Redis is down".
CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"


def unique_prefix() -> str:
    return f"tt-{uuid.uuid4().hex[:12]}"


def redis_settings(prefix: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"embedded_model": "off", "redis_url": REDIS_TEST_URL,
                              "redis_prefix": prefix, "cache_ttl_s": 300}
    values.update(overrides)
    return Settings(**values)


def cleanup(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        for pattern in (f"{prefix}:*", f"saq:{prefix}:*"):
            keys = list(client.scan_iter(match=pattern, count=500))
            if keys:
                client.delete(*keys)
    finally:
        client.close()


def sync_client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_TEST_URL)
