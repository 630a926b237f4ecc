"""One batch item runs once at a time: a second delivery waits instead of paying twice.

Two runs of `rewrite_item` for the same item, against the real Redis, with a
model that blocks until the test lets it answer. Ordering is made certain with
events (the second run reports that it found the item claimed), not with sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import pytest

from service.batches import BatchStore
from service.batches._worker import WorkerContext, rewrite_item
from service.llm import ChatMessage, ModelAnswer, ModelParams
from service.models import RewriteRequest
from service.pipeline import Rewriter
from service.prompting import load_prompts
from service.store import SharedState
from tests._redis_fixtures import redis_settings
from tests.conftest import DANA_CONTEXT, GOOD_ANSWER, PUSHY_DRAFT

pytestmark = pytest.mark.integration

BATCH = "bt_claims"


class GatedModel:
    """Answers GOOD_ANSWER once `gate` is set; counts calls."""

    name = "gated"

    def __init__(self) -> None:
        self.calls = 0
        self.called = asyncio.Event()
        self.gate = asyncio.Event()

    async def complete(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> ModelAnswer:
        self.calls += 1
        self.called.set()
        await self.gate.wait()
        return ModelAnswer(text=GOOD_ANSWER, finish_reason="stop", model=self.name)

    async def stream(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> AsyncGenerator[str | ModelAnswer, None]:
        yield await self.complete(messages, params=params)


class WatchedStore(BatchStore):
    """Signals when a run finds the item held by another run."""

    def __init__(self, shared: SharedState, *, ttl_s: int) -> None:
        super().__init__(shared, ttl_s=ttl_s)
        self.refused = asyncio.Event()

    async def claim(self, batch_id: str, index: int, token: str, *, lease_s: float) -> bool:
        held = await super().claim(batch_id, index, token, lease_s=lease_s)
        if not held:
            self.refused.set()
        return held


class StubJob:
    retries = 3
    attempts = 1

    async def update(self, **_: Any) -> None:
        return None


def request() -> RewriteRequest:
    return RewriteRequest.model_validate(
        {
            "draft": {"channel": "email", "subject": "Following up", "body": PUSHY_DRAFT},
            "context": DANA_CONTEXT,
        }
    )


def context(store: BatchStore, model: GatedModel, prefix: str) -> WorkerContext:
    rewriter = Rewriter(model=model, prompts=load_prompts(), params=ModelParams())
    # A lease (= heartbeat) far longer than the first run's one-off warm-up, which blocks
    # the loop (and so the renewal) for about a second.
    settings = redis_settings(prefix, batch_heartbeat_s=10)
    return {"batches": store, "rewriter": rewriter, "settings": settings, "job": StubJob()}  # type: ignore[typeddict-item]


async def test_a_second_delivery_waits_for_the_running_one_and_calls_no_model(
    shared: SharedState, prefix: str
) -> None:
    store = WatchedStore(shared, ttl_s=600)
    await store.create(BATCH, "owner", [request()])
    model = GatedModel()
    first = asyncio.create_task(
        rewrite_item(context(store, model, prefix), batch_id=BATCH, index=0)
    )
    await model.called.wait()
    second = asyncio.create_task(
        rewrite_item(context(store, model, prefix), batch_id=BATCH, index=0)
    )
    await store.refused.wait()  # the second run found the item claimed
    assert model.calls == 1
    model.gate.set()
    outcomes = await asyncio.gather(first, second)
    assert outcomes == ["succeeded", "duplicate"]
    assert model.calls == 1
    status = await store.status(BATCH, "owner")
    assert status is not None
    assert (status["completed"], status["succeeded"], len(status["results"])) == (1, 1, 1)


async def test_a_dead_runs_claim_lapses_and_the_item_is_taken_over(
    shared: SharedState, prefix: str
) -> None:
    store = WatchedStore(shared, ttl_s=600)
    await store.create(BATCH, "owner", [request()])
    # A run on a worker that was SIGKILLed: it claimed the item and never renews or releases.
    assert await store.claim(BATCH, 0, "dead-run", lease_s=0.3)
    model = GatedModel()
    model.gate.set()
    outcome = await rewrite_item(context(store, model, prefix), batch_id=BATCH, index=0)
    assert store.refused.is_set()  # it did find the item held first
    assert outcome == "succeeded"
    assert model.calls == 1


async def test_claims_are_exclusive_renewable_and_released_only_by_their_holder(
    shared: SharedState,
) -> None:
    store = BatchStore(shared, ttl_s=600)
    assert await store.claim(BATCH, 1, "a", lease_s=30)
    assert not await store.claim(BATCH, 1, "b", lease_s=30)
    assert await store.claim(BATCH, 1, "a", lease_s=30)  # renewal
    await store.release(BATCH, 1, "b")  # not b's to release
    assert not await store.claim(BATCH, 1, "b", lease_s=30)
    await store.release(BATCH, 1, "a")
    assert await store.claim(BATCH, 1, "b", lease_s=30)
