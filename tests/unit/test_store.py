"""In-memory store semantics (the single-process default) and the Redis breaker."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from service.security._idempotency_mw import fingerprint
from service.settings import Settings
from service.store import StoredResponse, StoreUnavailable, open_shared
from service.store._cache import MemoryCache
from service.store._feedback import FileFeedback
from service.store._idempotency import MemoryIdempotency

pytestmark = pytest.mark.unit


async def test_memory_idempotency_new_inflight_mismatch_done() -> None:
    store = MemoryIdempotency(ttl_s=60)
    assert (await store.begin("k", "fp1")).state == "new"
    assert (await store.begin("k", "fp1")).state == "inflight"
    assert (await store.begin("k", "fp2")).state == "mismatch"
    stored = StoredResponse(201, [("content-type", "application/json")], b'{"ok":true}')
    await store.complete("k", "fp1", stored)
    claim = await store.begin("k", "fp1")
    assert claim.state == "done"
    assert claim.response == stored
    assert (await store.begin("k", "fp2")).state == "mismatch"


async def test_memory_idempotency_release_lets_the_client_retry() -> None:
    store = MemoryIdempotency(ttl_s=60)
    assert (await store.begin("k", "fp")).state == "new"
    await store.release("k", "fp")
    assert (await store.begin("k", "fp")).state == "new"


async def test_release_with_a_different_fingerprint_keeps_the_claim() -> None:
    store = MemoryIdempotency(ttl_s=60)
    await store.begin("k", "fp")
    await store.release("k", "other")
    assert (await store.begin("k", "fp")).state == "inflight"


def test_stored_response_round_trips() -> None:
    stored = StoredResponse(200, [("content-type", "application/json")], "é ok".encode())
    assert StoredResponse.loads(stored.dumps()) == stored


def test_fingerprint_ignores_json_layout_but_not_content_route_or_mode() -> None:
    a = fingerprint("POST", "/v1/rewrites", b'{"a": 1, "b": [1, 2]}', False)
    assert a == fingerprint("POST", "/v1/rewrites", b'{"b":[1,2],"a":1}', False)
    assert a != fingerprint("POST", "/v1/rewrites", b'{"a": 2, "b": [1, 2]}', False)
    assert a != fingerprint("POST", "/v1/feedback", b'{"a": 1, "b": [1, 2]}', False)
    assert a != fingerprint("POST", "/v1/rewrites", b'{"a": 1, "b": [1, 2]}', True)


async def test_memory_cache_expires_and_skips_zero_ttl() -> None:
    cache = MemoryCache()
    await cache.set("a", b"1", 0)
    assert await cache.get("a") is None
    await cache.set("b", b"2", 1)
    assert await cache.get("b") == b"2"
    cache._items["b"] = (time.monotonic() - 1, b"2")  # expired
    assert await cache.get("b") is None


async def test_file_feedback_is_appended_and_read_back(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "fb" / "feedback.jsonl"
    store = FileFeedback(path)
    ids = [await store.append({"rewrite_id": f"rw_{i}", "outcome": "accepted"}) for i in range(3)]
    assert len(set(ids)) == 3
    lines = path.read_text().splitlines()
    assert [json.loads(line)["rewrite_id"] for line in lines] == ["rw_0", "rw_1", "rw_2"]
    assert [e["id"] async for e in store.entries()] == ids


async def test_memory_mode_without_redis_url() -> None:
    async with open_shared(Settings(embedded_model="off")) as shared:
        assert shared.mode == "memory"
        assert await shared.ping() == "memory"
        with pytest.raises(StoreUnavailable):
            await shared.call(lambda r: r.ping())


async def test_a_dead_redis_trips_the_breaker_quickly() -> None:
    settings = Settings(embedded_model="off", redis_url="redis://127.0.0.1:1/0")
    async with open_shared(settings) as shared:
        assert await shared.ping() == "down"
        assert not shared.available
        started = time.perf_counter()
        for _ in range(20):
            with pytest.raises(StoreUnavailable):
                await shared.call(lambda r: r.get("x"))
        # The breaker answers without touching the network while it is open.
        assert time.perf_counter() - started < 0.5
        await asyncio.sleep(shared.cooldown_s + 0.05)
        assert shared.available
