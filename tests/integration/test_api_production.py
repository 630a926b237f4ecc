"""The production behaviours end to end, against the real Redis on loopback.

Each test uses its own key prefix in DB 13 and deletes only that prefix.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.api.app import create_app
from service.llm import FakeChatModel
from service.settings import Settings
from tests._redis_fixtures import (
    CLOSED_REDIS_URL,
    redis_settings,
    served,
)
from tests.conftest import DANA_CONTEXT, GOOD_ANSWER, PUSHY_DRAFT

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def body(marker: str = "") -> dict[str, Any]:
    return {
        "draft": {"channel": "email", "subject": "Following up", "body": PUSHY_DRAFT + marker},
        "context": DANA_CONTEXT,
    }


def app_with(
    settings: Settings, *answers: str, name: str = "fake"
) -> tuple[Litestar, FakeChatModel]:
    model = FakeChatModel(list(answers), name=name)
    return create_app(settings, model=model), model


async def test_cache_hit_skips_the_model(prefix: str) -> None:
    app, model = app_with(redis_settings(prefix), GOOD_ANSWER)
    async with AsyncTestClient(app=app) as client:
        first = await client.post("/v1/rewrites", json=body())
        second = await client.post("/v1/rewrites", json=body())
    assert first.status_code == second.status_code == 200
    assert first.json()["cached"] is False
    assert first.json()["source"] == "model"
    assert second.json()["cached"] is True
    assert second.json()["rewrite"] == first.json()["rewrite"]
    assert len(model.calls) == 1


async def test_two_app_instances_share_cache_and_limits(prefix: str) -> None:
    settings = redis_settings(prefix, rate_rewrite_burst=3, rate_rewrite_per_min=6)
    app_a, model_a = app_with(settings, GOOD_ANSWER)
    app_b, model_b = app_with(settings)  # no scripted answers: must never be called
    async with AsyncTestClient(app=app_a) as a, AsyncTestClient(app=app_b) as b:
        first = await a.post("/v1/rewrites", json=body())
        second = await b.post("/v1/rewrites", json=body())
        assert second.status_code == 200
        assert second.json()["cached"] is True
        assert len(model_a.calls) == 1
        assert model_b.calls == []
        # The third request of a burst of 3, on instance A, is allowed; the fourth is not.
        third = await a.post("/v1/rewrites", json=body())
        fourth = await b.post("/v1/rewrites", json=body())
    assert first.headers["RateLimit-Remaining"] == "2"
    assert second.headers["RateLimit-Remaining"] == "1"
    assert third.status_code == 200
    assert fourth.status_code == 429


async def test_rate_limit_429_with_retry_after_then_recovers(prefix: str) -> None:
    settings = redis_settings(prefix, rate_analyze_burst=2, rate_analyze_per_min=60)
    app, _ = app_with(settings, GOOD_ANSWER)
    async with AsyncTestClient(app=app) as client:
        ok = [await client.post("/v1/analyze", json=body()) for _ in range(2)]
        limited = await client.post("/v1/analyze", json=body())
        assert [r.status_code for r in ok] == [200, 200]
        assert ok[0].headers["RateLimit-Limit"] == "2"
        assert limited.status_code == 429
        assert limited.headers["content-type"].startswith(PROBLEM)
        assert limited.headers["Retry-After"] == "1"
        assert limited.headers["RateLimit-Remaining"] == "0"
        assert int(limited.headers["RateLimit-Reset"]) >= 1
        assert limited.json()["status"] == 429
        await asyncio.sleep(1.1)
        recovered = await client.post("/v1/analyze", json=body())
        assert recovered.status_code == 200
        # /v1/rewrites has its own bucket: the analyze limit does not spend it.
        rewrite = await client.post("/v1/rewrites", json=body())
        assert rewrite.status_code == 200
        metrics = await client.get("/metrics")
    assert 'tactful_rate_limited_total{limit="analyze"}' in metrics.text


async def test_idempotent_replay_conflict_and_mismatch(prefix: str) -> None:
    app, model = app_with(redis_settings(prefix, cache_ttl_s=0), GOOD_ANSWER)
    key = {"Idempotency-Key": f"idem-{uuid.uuid4()}"}
    async with AsyncTestClient(app=app) as client:
        first = await client.post("/v1/rewrites", json=body(), headers=key)
        replay = await client.post("/v1/rewrites", json=body(), headers=key)
        different = await client.post("/v1/rewrites", json=body(" Thanks."), headers=key)
    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()  # same id, same text: the stored response
    assert len(model.calls) == 1  # the cache is off: only the replay can explain this
    assert different.status_code == 422
    assert different.headers["content-type"].startswith(PROBLEM)


async def test_duplicate_in_flight_is_409(prefix: str) -> None:
    gate = asyncio.Event()
    entered = asyncio.Event()

    class SlowModel(FakeChatModel):
        async def complete(self, messages: Any, *, params: Any) -> Any:
            entered.set()
            await gate.wait()
            return await super().complete(messages, params=params)

    app = create_app(redis_settings(prefix), model=SlowModel([GOOD_ANSWER]))
    key = {"Idempotency-Key": "same-key"}
    async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        first = asyncio.create_task(client.post("/v1/rewrites", json=body(), headers=key))
        await asyncio.wait_for(entered.wait(), 5)
        try:
            second = await client.post("/v1/rewrites", json=body(), headers=key)
        finally:
            gate.set()
        done = await first
        after = await client.post("/v1/rewrites", json=body(), headers=key)
    assert second.status_code == 409
    assert second.headers["Retry-After"] == "1"
    assert second.headers["content-type"].startswith(PROBLEM)
    assert done.status_code == 200
    assert after.status_code == 200
    assert after.headers["Idempotent-Replayed"] == "true"


async def test_idempotency_is_scoped_per_api_key(prefix: str) -> None:
    from service.security import new_key
    from service.security._keys import RedisKeyStore
    from service.store import open_shared

    settings = redis_settings(prefix, cache_ttl_s=0)
    async with open_shared(settings) as shared:
        store = RedisKeyStore(shared)
        key_a, rec_a = new_key("a")
        key_b, rec_b = new_key("b")
        await store.add(rec_a)
        await store.add(rec_b)
    app, model = app_with(settings, GOOD_ANSWER, GOOD_ANSWER)
    idem = "shared-idempotency-key"
    async with AsyncTestClient(app=app) as client:
        a = await client.post(
            "/v1/rewrites", json=body(), headers={"Idempotency-Key": idem, "X-API-Key": key_a}
        )
        b = await client.post(
            "/v1/rewrites",
            json=body(),
            headers={"Idempotency-Key": idem, "Authorization": f"Bearer {key_b}"},
        )
    assert a.status_code == b.status_code == 200
    assert "Idempotent-Replayed" not in b.headers
    assert len(model.calls) == 2


async def test_feedback_survives_an_api_restart(prefix: str) -> None:
    settings = redis_settings(prefix)
    app, _ = app_with(settings)
    async with AsyncTestClient(app=app) as client:
        # Feedback is accepted for a rewrite id issued to this caller only.
        issued = (await client.post("/v1/rewrites", json=body())).json()["id"]
        entry = {
            "rewrite_id": issued,
            "outcome": "edited",
            "final_text": "Hi Dana, a shorter note.",
            "reason": "too formal",
        }
        created = await client.post("/v1/feedback", json=entry, headers={"Idempotency-Key": "fb-1"})
        replayed = await client.post(
            "/v1/feedback", json=entry, headers={"Idempotency-Key": "fb-1"}
        )
        invalid = await client.post("/v1/feedback", json={"rewrite_id": "x", "outcome": "meh"})
    assert created.status_code == 201
    assert replayed.status_code == 201
    assert replayed.json() == created.json()
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert invalid.status_code == 422
    # A brand-new app instance (as after a restart) reads what the first one acknowledged.
    from service.store import open_shared
    from service.store._feedback import RedisFeedback

    async with open_shared(settings) as shared:
        entries = [e async for e in RedisFeedback(shared).entries()]
    assert [e["id"] for e in entries] == [created.json()["id"]]  # stored once, not twice
    assert entries[0]["outcome"] == "edited"
    assert entries[0]["final_text"] == entry["final_text"]


async def test_redis_down_rewrites_still_work_and_readiness_says_so(prefix: str) -> None:
    """Redis dies under a running app: a key verified just before keeps working (auth fails
    closed only for what it cannot verify), rewrites and analysis go on, durable writes 503.
    """
    from service.security import new_key
    from service.security._keys import RedisKeyStore
    from service.store import open_shared, redis_client

    settings = redis_settings(prefix)
    async with open_shared(settings) as shared:
        key, record = new_key("crm")
        await RedisKeyStore(shared).add(record)
    app, model = app_with(settings, GOOD_ANSWER)
    auth = {"X-API-Key": key}
    async with AsyncTestClient(app=app) as client:
        warm = await client.post("/v1/analyze", json=body("warm"), headers=auth)
        shared_state = app.state.runtime.shared
        alive = shared_state.redis
        shared_state.redis = redis_client(CLOSED_REDIS_URL, timeout_s=0.5)
        try:
            rewrite = await client.post(
                "/v1/rewrites", json=body(), headers={**auth, "Idempotency-Key": "k-down"}
            )
            analyze = await client.post("/v1/analyze", json=body(), headers=auth)
            ready = await client.get("/health/ready")
            feedback = await client.post(
                "/v1/feedback",
                json={"rewrite_id": rewrite.json()["id"], "outcome": "accepted"},
                headers=auth,
            )
            batch = await client.post("/v1/rewrite-batches", json={"items": [body()]}, headers=auth)
            anonymous = await client.post("/v1/analyze", json=body())
        finally:
            await shared_state.redis.aclose()
            shared_state.redis = alive
    assert warm.status_code == 200
    assert rewrite.status_code == 200
    assert rewrite.json()["source"] == "model"
    assert rewrite.json()["cached"] is False
    assert analyze.status_code == 200
    assert "RateLimit-Remaining" in analyze.headers  # per-process fallback limiter
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["redis"] == "down"
    # Nowhere durable to write: an honest 503, never a 500 and never a false 201.
    assert feedback.status_code == 503
    assert feedback.headers["content-type"].startswith(PROBLEM)
    assert batch.status_code == 503
    # Keys exist (the store said so before it went down): no key is 401, never open access.
    assert anonymous.status_code == 401
    assert len(model.calls) == 1


async def test_auth_401_403_and_keys_never_in_logs(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    from service.security import new_key
    from service.security._keys import RedisKeyStore
    from service.store import open_shared

    settings = redis_settings(prefix)
    async with open_shared(settings) as shared:
        store = RedisKeyStore(shared)
        good, rec = new_key("crm")
        narrow, narrow_rec = new_key("ext", ("analyze",))
        revoked, revoked_rec = new_key("old")
        for record in (rec, narrow_rec, revoked_rec):
            await store.add(record)
        await store.revoke(revoked_rec.id)
    app, _ = app_with(settings)
    caplog.set_level(logging_level())
    async with AsyncTestClient(app=app) as client:
        none = await client.post("/v1/analyze", json=body())
        bad = await client.post(
            "/v1/analyze",
            json=body(),
            headers={"Authorization": "Bearer tk_000000000000_" + "x" * 43},
        )
        ok = await client.post("/v1/analyze", json=body(), headers={"X-API-Key": good})
        gone = await client.post("/v1/analyze", json=body(), headers={"X-API-Key": revoked})
        scope = await client.post("/v1/rewrites", json=body(), headers={"X-API-Key": narrow})
        batch = await client.post("/v1/rewrite-batches", json={"items": [body()]})
        status = await client.get("/v1/rewrite-batches/bt_unknown")
        public = await client.get("/v1/rules")
        health = await client.get("/health/live")
    assert none.status_code == 401
    assert none.headers["WWW-Authenticate"].startswith("Bearer")
    assert none.headers["content-type"].startswith(PROBLEM)
    assert bad.status_code == 401
    assert ok.status_code == 200
    assert gone.status_code == 403
    assert scope.status_code == 403
    assert batch.status_code == 401
    assert status.status_code == 401
    assert public.status_code == 200
    assert health.status_code == 200
    for secret in (good, narrow, revoked):
        assert secret not in caplog.text
    assert PUSHY_DRAFT[:30] not in caplog.text


def logging_level() -> int:
    import logging

    return logging.DEBUG


async def test_request_id_cors_body_limit_and_metrics(prefix: str) -> None:
    settings = redis_settings(
        prefix, cors_origins=("chrome-extension://abcdefghijklmnop",), max_body_bytes=2048
    )
    app, _ = app_with(settings, GOOD_ANSWER)
    async with AsyncTestClient(app=app) as client:
        traced = await client.post("/v1/analyze", json=body(), headers={"X-Request-ID": "trace-42"})
        fresh = await client.get("/v1/rules")
        preflight = await client.options(
            "/v1/rewrites",
            headers={
                "Origin": "chrome-extension://abcdefghijklmnop",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,idempotency-key",
            },
        )
        foreign = await client.options(
            "/v1/rewrites",
            headers={
                "Origin": "chrome-extension://someoneelse",
                "Access-Control-Request-Method": "POST",
            },
        )
        simple = await client.post(
            "/v1/analyze", json=body(), headers={"Origin": "chrome-extension://abcdefghijklmnop"}
        )
        huge = await client.post("/v1/rewrites", json=body("x" * 4000))
        huge_idem = await client.post(
            "/v1/rewrites", json=body("x" * 4000), headers={"Idempotency-Key": "big"}
        )
        await client.post("/v1/rewrites", json=body())
        metrics = await client.get("/metrics")
    assert traced.headers["X-Request-ID"] == "trace-42"
    assert len(fresh.headers["X-Request-ID"]) >= 16
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == "chrome-extension://abcdefghijklmnop"
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed  # a wildcard would not cover Authorization
    assert "idempotency-key" in allowed
    assert "access-control-allow-origin" not in foreign.headers
    assert simple.headers["access-control-allow-origin"] == "chrome-extension://abcdefghijklmnop"
    exposed = simple.headers["access-control-expose-headers"].lower()
    assert "ratelimit-remaining" in exposed
    assert "retry-after" in exposed
    for response in (huge, huge_idem):
        assert response.status_code == 413
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["status"] == 413
    text = metrics.text
    assert 'tactful_http_request_duration_seconds_count{method="POST",route="/v1/analyze"' in text
    assert 'tactful_guard_outcomes_total{outcome="model"}' in text
    assert 'tactful_cache_lookups_total{result="miss"}' in text
    assert "tactful_model_call_duration_seconds" in text
    assert 'tactful_model_tokens_total{kind="completion"}' in text


async def test_streaming_passes_through_and_replays_with_the_same_key(prefix: str) -> None:
    app, model = app_with(redis_settings(prefix, cache_ttl_s=0), GOOD_ANSWER)
    headers = {"Accept": "text/event-stream", "Idempotency-Key": "stream-1"}
    async with AsyncTestClient(app=app) as client:
        first = await client.post("/v1/rewrites", json=body(), headers=headers)
        replay = await client.post("/v1/rewrites", json=body(), headers=headers)
        as_json = await client.post(
            "/v1/rewrites", json=body(), headers={"Idempotency-Key": "stream-1"}
        )
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/event-stream")
    assert "event: strategy" in first.text
    assert "event: result" in first.text
    assert "RateLimit-Remaining" in first.headers
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.text == first.text
    assert as_json.status_code == 422  # same key, but a JSON answer was not what was stored
    assert len(model.calls) == 1


async def test_readiness_probes_the_model_endpoint(prefix: str) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    up = redis_settings(
        prefix,
        openai_base_url=f"http://127.0.0.1:{server.server_address[1]}/v1",
        openai_api_key="test",
    )
    down = redis_settings(prefix, openai_base_url="http://127.0.0.1:1/v1", openai_api_key="t")
    try:
        async with AsyncTestClient(app=create_app(up)) as client:
            ok = await client.get("/health/ready")
        async with AsyncTestClient(app=create_app(down)) as client:
            unreachable = await client.get("/health/ready")
    finally:
        server.shutdown()
        server.server_close()
    assert ok.json() == {
        "status": "ok",
        "checks": {
            "model": "ok",
            "model_breaker": {
                "state": "closed",
                "consecutive_failures": 0,
                "last_failure": None,
                "retry_in_s": 0.0,
            },
            "redis": "ok",
        },
    }
    # The composer keeps answering without a model: degraded, not out of rotation.
    assert unreachable.status_code == 200
    assert unreachable.json()["status"] == "degraded"
    assert unreachable.json()["checks"]["model"] == "unreachable"
