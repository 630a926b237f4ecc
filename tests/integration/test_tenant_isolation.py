"""Tenants apart and web-facing refusals, against the real Redis on loopback (issue #11, item 2).

Two API keys are two tenants: neither receives the other's cached rewrite or
rewrite id, and feedback is accepted only for ids issued to the same key. A
body not sent as JSON is never parsed (415). Auth fails closed when the key
store cannot be read. Each test has its own key prefix in DB 13.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.api.app import create_app
from service.batches import BatchStore
from service.batches._worker import WorkerContext, rewrite_item
from service.llm import FakeChatModel, ModelParams
from service.models import RewriteRequest
from service.pipeline import Rewriter
from service.prompting import load_prompts
from service.security import new_key
from service.security._keys import RedisKeyStore
from service.settings import Settings
from service.store import open_shared
from service.store._feedback import RedisFeedback
from service.store._owners import RedisRewriteOwners
from tests._redis_fixtures import CLOSED_REDIS_URL, redis_settings, sync_client
from tests.conftest import DANA_CONTEXT, GOOD_ANSWER, PUSHY_DRAFT

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
BODY: dict[str, Any] = {
    "draft": {"channel": "email", "subject": "Following up", "body": PUSHY_DRAFT},
    "context": DANA_CONTEXT,
}


async def two_keys(settings: Settings) -> tuple[dict[str, str], dict[str, str]]:
    """Headers for two tenants (two API keys in the test's Redis prefix)."""
    async with open_shared(settings) as shared:
        store = RedisKeyStore(shared)
        key_a, record_a = new_key("tenant-a")
        key_b, record_b = new_key("tenant-b")
        await store.add(record_a)
        await store.add(record_b)
    return {"Authorization": f"Bearer {key_a}"}, {"X-API-Key": key_b}


def app_with(settings: Settings, *answers: str) -> tuple[Litestar, FakeChatModel]:
    model = FakeChatModel(list(answers))
    return create_app(settings, model=model), model


def sse_events(text: str) -> dict[str, Any]:
    """The last data of each event name in a server-sent event stream."""
    events: dict[str, Any] = {}
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events[fields["event"]] = json.loads(fields["data"])
    return events


async def stored_feedback(settings: Settings) -> list[dict[str, Any]]:
    async with open_shared(settings) as shared:
        return [e async for e in RedisFeedback(shared).entries()]


async def test_the_rewrite_cache_is_per_tenant(prefix: str) -> None:
    settings = redis_settings(prefix)
    a, b = await two_keys(settings)
    app, model = app_with(settings, GOOD_ANSWER, GOOD_ANSWER)
    async with AsyncTestClient(app=app) as client:
        first_a = (await client.post("/v1/rewrites", json=BODY, headers=a)).json()
        first_b = (await client.post("/v1/rewrites", json=BODY, headers=b)).json()
        again_a = (await client.post("/v1/rewrites", json=BODY, headers=a)).json()
    # B sent the very same request: a model call of its own, an id of its own.
    assert first_b["cached"] is False
    assert first_b["id"] != first_a["id"]
    assert len(model.calls) == 2
    # A's own repeat is still a hit, with A's id.
    assert again_a["cached"] is True
    assert again_a["id"] == first_a["id"]


async def test_feedback_only_for_ids_issued_to_the_same_key(prefix: str) -> None:
    settings = redis_settings(prefix)
    a, b = await two_keys(settings)
    app, _ = app_with(settings, GOOD_ANSWER)
    async with AsyncTestClient(app=app) as client:
        issued = (await client.post("/v1/rewrites", json=BODY, headers=a)).json()["id"]
        by_other = await client.post(
            "/v1/feedback", json={"rewrite_id": issued, "outcome": "rejected"}, headers=b
        )
        made_up = await client.post(
            "/v1/feedback",
            json={"rewrite_id": "rw_" + "f" * 32, "outcome": "rejected"},
            headers=a,
        )
        by_owner = await client.post(
            "/v1/feedback", json={"rewrite_id": issued, "outcome": "accepted"}, headers=a
        )
    assert by_owner.status_code == 201
    for refused in (by_other, made_up):
        assert refused.status_code == 404
        assert refused.headers["content-type"].startswith(PROBLEM)
    # Another tenant's id and a made-up one read exactly alike: nothing says which exists.
    assert by_other.json() == made_up.json()
    entries = await stored_feedback(settings)
    assert [(e["rewrite_id"], e["outcome"]) for e in entries] == [(issued, "accepted")]


async def test_the_owner_is_kept_in_redis_for_the_feedback_window(prefix: str) -> None:
    settings = redis_settings(prefix, feedback_window_s=3600)
    a, _ = await two_keys(settings)
    first, _ = app_with(settings, GOOD_ANSWER)
    async with AsyncTestClient(app=first) as client:
        issued = (await client.post("/v1/rewrites", json=BODY, headers=a)).json()["id"]
    redis = sync_client()
    try:
        ttl = redis.ttl(f"{prefix}:rwowner:{issued}")
    finally:
        redis.close()
    assert 0 < ttl <= 3600
    # Another replica (a new app on the same Redis) accepts the owner's feedback.
    second, _ = app_with(settings)
    async with AsyncTestClient(app=second) as client:
        created = await client.post(
            "/v1/feedback", json={"rewrite_id": issued, "outcome": "edited"}, headers=a
        )
    assert created.status_code == 201


async def test_a_streamed_rewrite_id_is_owned_too(prefix: str) -> None:
    settings = redis_settings(prefix)
    a, b = await two_keys(settings)
    app, _ = app_with(settings, GOOD_ANSWER)
    async with AsyncTestClient(app=app) as client:
        stream = await client.post(
            "/v1/rewrites", json=BODY, headers={**a, "Accept": "text/event-stream"}
        )
        result = sse_events(stream.text)["result"]
        other = await client.post(
            "/v1/feedback", json={"rewrite_id": result["id"], "outcome": "accepted"}, headers=b
        )
        own = await client.post(
            "/v1/feedback", json={"rewrite_id": result["id"], "outcome": "accepted"}, headers=a
        )
    assert other.status_code == 404
    assert own.status_code == 201


class _Job:
    retries = 1
    attempts = 1

    async def update(self, **_: Any) -> None:
        return None


async def test_a_batch_items_rewrite_id_belongs_to_the_batch_owner(prefix: str) -> None:
    settings = redis_settings(prefix)
    async with open_shared(settings) as shared:
        store = BatchStore(shared, ttl_s=600)
        owners = RedisRewriteOwners(shared, ttl_s=600)
        await store.create("bt_owned", "key:aaaaaaaaaaaa", [RewriteRequest.model_validate(BODY)])
        rewriter = Rewriter(model=None, prompts=load_prompts(), params=ModelParams())
        ctx: WorkerContext = {  # type: ignore[typeddict-item]
            "batches": store,
            "rewriter": rewriter,
            "settings": settings,
            "owners": owners,
            "job": _Job(),
        }
        assert await rewrite_item(ctx, batch_id="bt_owned", index=0) == "succeeded"
        found = await store.status("bt_owned", "key:aaaaaaaaaaaa")
        assert found is not None
        rewrite_id = found["results"][0]["response"]["id"]
        assert await owners.owner_of(rewrite_id) == "key:aaaaaaaaaaaa"


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/v1/rewrites", BODY),
        ("/v1/analyze", BODY),
        ("/v1/feedback", {"rewrite_id": "rw_x", "outcome": "accepted"}),
        ("/v1/rewrite-batches", {"items": [BODY]}),
    ],
)
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", None, "application/json; charset=latin-1"],
)
async def test_a_body_not_sent_as_json_is_415_and_never_parsed(
    prefix: str, path: str, payload: dict[str, Any], content_type: str | None
) -> None:
    """The no-preflight CSRF hole: a cross-site page can POST text/plain without CORS."""
    settings = redis_settings(prefix)  # no key: a keyless loopback server, the exposed case
    app, model = app_with(settings, GOOD_ANSWER)
    headers = {"Origin": "https://evil.example"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    async with AsyncTestClient(app=app) as client:
        response = await client.post(path, content=json.dumps(payload), headers=headers)
    assert response.status_code == 415
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "application/json" in response.json()["detail"]
    assert model.calls == []
    assert await stored_feedback(settings) == []


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=UTF-8", "application/problem+json"],
)
async def test_json_media_types_are_accepted(prefix: str, content_type: str) -> None:
    app, _ = app_with(redis_settings(prefix))
    async with AsyncTestClient(app=app) as client:
        response = await client.post(
            "/v1/analyze", content=json.dumps(BODY), headers={"Content-Type": content_type}
        )
    assert response.status_code == 200


async def test_auth_fails_closed_when_the_key_store_is_unreachable() -> None:
    """Redis configured but down from the start: whether keys exist is unknown, so no one
    gets in without a verified key; the public catalogue still answers.
    """
    settings = Settings(embedded_model="off", redis_url=CLOSED_REDIS_URL)
    app, model = app_with(settings, GOOD_ANSWER)
    key, _ = new_key("never-stored")
    async with AsyncTestClient(app=app) as client:
        anonymous = await client.post("/v1/rewrites", json=BODY)
        keyed = await client.post("/v1/analyze", json=BODY, headers={"X-API-Key": key})
        catalogue = await client.get("/v1/rules")
    for refused in (anonymous, keyed):
        assert refused.status_code == 503
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert int(refused.headers["Retry-After"]) >= 1
    assert catalogue.status_code == 200
    assert model.calls == []


async def test_an_empty_reachable_key_store_on_loopback_is_keyless(prefix: str) -> None:
    """The one keyless case with Redis: the store answered and holds no key (docs say so)."""
    app, _ = app_with(redis_settings(prefix))
    async with AsyncTestClient(app=app) as client:
        response = await client.post("/v1/analyze", json=BODY)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"variants": True}, "options.variants"),
        ({"variants": "2"}, "options.variants"),
        ({"max_words": "120"}, "options.max_words"),
        ({"temperature": False}, "options.temperature"),
        ({"temperature": "0.5"}, "options.temperature"),
    ],
)
async def test_no_bool_or_string_as_a_number(
    prefix: str, options: dict[str, Any], field: str
) -> None:
    app, model = app_with(redis_settings(prefix), GOOD_ANSWER)
    async with AsyncTestClient(app=app) as client:
        response = await client.post("/v1/rewrites", json={**BODY, "options": options})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert model.calls == []


async def test_whole_floats_are_integers_and_context_rejects_unknown_keys(prefix: str) -> None:
    app, _ = app_with(redis_settings(prefix))
    history = {**DANA_CONTEXT["history"], "touches_since_reply": 3.0}
    async with AsyncTestClient(app=app) as client:
        whole = await client.post(
            "/v1/analyze", json={**BODY, "context": {**DANA_CONTEXT, "history": history}}
        )
        typo = await client.post(
            "/v1/analyze", json={**BODY, "context": {**DANA_CONTEXT, "prospekt": {"name": "X"}}}
        )
        nested = await client.post(
            "/v1/analyze",
            json={**BODY, "context": {"prospect": {"name": "Dana", "mood": "busy"}}},
        )
    assert whole.status_code == 200  # 3.0 is the integer 3 (JSON Schema agrees)
    assert typo.status_code == 422
    assert [e["field"] for e in typo.json()["errors"]] == ["context.prospekt"]
    assert nested.status_code == 422
    assert [e["field"] for e in nested.json()["errors"]] == ["context.prospect.mood"]
