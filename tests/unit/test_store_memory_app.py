"""The single-process mode (no REDIS_URL): the same contract, held in memory or a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from service.api.app import create_app
from service.llm import FakeChatModel
from service.security import new_key
from service.security._auth import Authenticator, Denial, Principal
from service.security._keys import ApiKeyRecord
from service.settings import Settings
from service.store import StoreUnavailable
from tests.conftest import DANA_CONTEXT, GOOD_ANSWER, PUSHY_DRAFT

pytestmark = pytest.mark.unit

BODY = {
    "draft": {"channel": "email", "subject": "Following up", "body": PUSHY_DRAFT},
    "context": DANA_CONTEXT,
}


async def test_memory_mode_replays_limits_and_refuses_batches() -> None:
    settings = Settings(embedded_model="off", cache_ttl_s=0, rate_rewrite_burst=3)
    model = FakeChatModel([GOOD_ANSWER])
    app = create_app(settings, model=model)
    async with AsyncTestClient(app=app) as client:
        batch = await client.post("/v1/rewrite-batches", json={"items": [BODY]})
        first = await client.post("/v1/rewrites", json=BODY, headers={"Idempotency-Key": "a"})
        replay = await client.post("/v1/rewrites", json=BODY, headers={"Idempotency-Key": "a"})
        limited = await client.post("/v1/rewrites", json=BODY)  # 4th of a burst of 3
        feedback = await client.post(
            "/v1/feedback", json={"rewrite_id": "rw_1", "outcome": "accepted"}
        )
        ready = await client.get("/health/ready")
    assert first.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert limited.status_code == 429
    assert batch.status_code == 503
    assert "REDIS_URL" in batch.json()["detail"]
    assert feedback.status_code == 503
    assert ready.json()["checks"]["redis"] == "memory"
    assert len(model.calls) == 1


async def test_feedback_file_without_redis(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    app = create_app(Settings(embedded_model="off", feedback_file=str(path)), use_model=False)
    async with AsyncTestClient(app=app) as client:
        made_up = await client.post(
            "/v1/feedback", json={"rewrite_id": "rw_" + "0" * 32, "outcome": "accepted"}
        )
        issued = (await client.post("/v1/rewrites", json=BODY)).json()["id"]
        created = await client.post(
            "/v1/feedback",
            json={
                "rewrite_id": issued,
                "outcome": "edited",
                "final_text": "Hi Dana, shorter.",
                "request": BODY,
                "rewrite": {"channel": "email", "body": "Hi Dana."},
            },
        )
    # The in-memory owner record: an id this server never issued is 404, nothing stored.
    assert made_up.status_code == 404
    assert made_up.headers["content-type"].startswith("application/problem+json")
    assert created.status_code == 201
    stored = json.loads(path.read_text())
    assert stored["id"] == created.json()["id"]
    assert stored["request"]["draft"]["body"] == PUSHY_DRAFT
    assert stored["api_key_id"] is None


class _FlakyStore:
    """A key store that can be switched off, as Redis would be."""

    def __init__(self, record: ApiKeyRecord) -> None:
        self.record = record
        self.down = False

    async def add(self, record: ApiKeyRecord) -> None:
        return None

    async def get(self, ident: str) -> ApiKeyRecord | None:
        if self.down:
            raise StoreUnavailable("down")
        return self.record if ident == self.record.id else None

    async def revoke(self, ident: str) -> bool:
        return False

    async def all(self) -> list[ApiKeyRecord]:
        if self.down:
            raise StoreUnavailable("down")
        return [self.record]


async def test_auth_fails_closed_for_unverified_keys_when_the_store_is_down() -> None:
    known, record = new_key("crm")
    other, _ = new_key("other")
    store = _FlakyStore(record)
    auth = Authenticator(store)
    assert isinstance(
        await auth.authenticate({"x-api-key": known}, "1.2.3.4", "rewrite"), Principal
    )
    store.down = True
    # Verified moments ago: keeps working through the outage.
    assert isinstance(
        await auth.authenticate({"x-api-key": known}, "1.2.3.4", "rewrite"), Principal
    )
    # Never verified: refused with 503, never let in.
    denied = await auth.authenticate({"x-api-key": other}, "1.2.3.4", "rewrite")
    assert isinstance(denied, Denial)
    assert denied.status == 503
    # Keys are still required (last known state), so no key is still 401.
    missing = await auth.authenticate({}, "1.2.3.4", "rewrite")
    assert isinstance(missing, Denial)
    assert missing.status == 401
