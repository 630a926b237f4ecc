"""The Redis-backed stores and the operator CLI, against the real Redis on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.security import new_key
from service.security._keys import RedisKeyStore
from service.security._ratelimit import Limit, RateLimiter
from service.store import SharedState, StoredResponse, open_shared
from service.store._cache import RedisCache
from service.store._feedback import RedisFeedback
from service.store._idempotency import RedisIdempotency
from tests._redis_fixtures import (
    REDIS_TEST_URL,
    redis_settings,
    sync_client,
)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def cli(prefix: str, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TACTFUL_", "OPENAI_"))}
    env.update(
        {
            "REDIS_URL": REDIS_TEST_URL,
            "TACTFUL_REDIS_PREFIX": prefix,
            "TACTFUL_EMBEDDED_MODEL": "off",
            **extra_env,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_cache_keys_are_namespaced_and_expire(prefix: str, shared: SharedState) -> None:
    cache = RedisCache(shared)
    await cache.set("rw:abc", b"payload", 30)
    assert await cache.get("rw:abc") == b"payload"
    assert await cache.get("rw:missing") is None
    client = sync_client()
    try:
        ttl = client.ttl(f"{prefix}:cache:rw:abc")
    finally:
        client.close()
    assert 0 < ttl <= 30


async def test_gcra_is_shared_between_two_pools(prefix: str) -> None:
    limit = Limit("rewrite", per_min=60, burst=3)
    async with open_shared(redis_settings(prefix)) as a, open_shared(redis_settings(prefix)) as b:
        first, second = RateLimiter(a), RateLimiter(b)
        results = [await (first if i % 2 else second).check(limit, "key:x") for i in range(4)]
        other = await first.check(limit, "key:y")
    assert [r.allowed for r in results] == [True, True, True, False]
    assert all(r.shared for r in results)
    assert results[3].retry_after_s == 1
    assert other.allowed


async def test_redis_idempotency_claims_are_atomic(prefix: str, shared: SharedState) -> None:
    store = RedisIdempotency(shared, ttl_s=24 * 3600)
    assert (await store.begin("k1", "fp")).state == "new"
    assert (await store.begin("k1", "fp")).state == "inflight"
    assert (await store.begin("k1", "other")).state == "mismatch"
    response = StoredResponse(200, [("content-type", "application/json")], b'{"a":1}')
    await store.complete("k1", "fp", response)
    claim = await store.begin("k1", "fp")
    assert claim.state == "done"
    assert claim.response == response
    client = sync_client()
    try:
        ttl = client.ttl(f"{prefix}:idem:k1")
    finally:
        client.close()
    assert 23 * 3600 < ttl <= 24 * 3600
    assert (await store.begin("k2", "fp")).state == "new"
    await store.release("k2", "fp")
    assert (await store.begin("k2", "fp")).state == "new"


async def test_redis_key_store(shared: SharedState) -> None:
    store = RedisKeyStore(shared)
    plaintext, record = new_key("crm")
    await store.add(record)
    found = await store.get(record.id)
    assert found is not None
    assert found.digest == record.digest
    assert not found.revoked
    assert await store.revoke(record.id)
    revoked = await store.get(record.id)
    assert revoked is not None
    assert revoked.revoked
    assert [r.id for r in await store.all()] == [record.id]
    assert not await store.revoke("ffffffffffff")
    assert plaintext not in json.dumps([r.model_dump() for r in await store.all()])


@pytest.mark.slow
def test_keys_cli_create_list_revoke_and_serve_guard(prefix: str) -> None:
    refused = cli(prefix, "serve", "--host", "0.0.0.0", "--port", "1")  # noqa: S104
    assert refused.returncode == 2
    assert "no active API key" in refused.stderr

    created = cli(prefix, "keys", "create", "--name", "crm-prod", "--scope", "rewrite")
    assert created.returncode == 0, created.stderr
    data = json.loads(created.stdout)
    assert data["key"].startswith(f"tk_{data['id']}_")
    assert data["scopes"] == ["rewrite"]

    listed = cli(prefix, "keys", "list")
    assert listed.returncode == 0
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["id"], r["name"]) for r in rows] == [(data["id"], "crm-prod")]
    assert data["key"] not in listed.stdout
    assert "digest" not in listed.stdout

    assert cli(prefix, "keys", "revoke", data["id"]).returncode == 0
    assert cli(prefix, "keys", "revoke", "000000000000").returncode == 1
    rows = [json.loads(line) for line in cli(prefix, "keys", "list").stdout.splitlines()]
    assert rows[0]["revoked_at"] is not None


async def test_feedback_export_writes_jsonl(
    prefix: str, shared: SharedState, tmp_path: Path
) -> None:
    store = RedisFeedback(shared)
    ids = [
        await store.append({"rewrite_id": f"rw_{i}", "outcome": "rejected", "reason": "too pushy"})
        for i in range(3)
    ]
    out = tmp_path / "feedback.jsonl"
    done = cli(prefix, "feedback", "export", "--out", str(out))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ids
    assert rows[0] == {
        "id": ids[0],
        "rewrite_id": "rw_0",
        "outcome": "rejected",
        "reason": "too pushy",
    }
    assert "exported 3" in done.stderr
