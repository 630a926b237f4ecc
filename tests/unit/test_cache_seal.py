"""A cache entry is served without a new check only when this process sealed it.

`store_cached` seals an entry (HMAC of key and payload under a per-process
random key) after the response passed the same check a hit would run. These
tests prove a sealed hit skips the re-check, and that every other entry (no
seal, a seal from another process, a payload changed after sealing, a seal
for another key) is re-checked with today's guard before it is served.
"""

from __future__ import annotations

from typing import Any

import pytest

import service.pipeline._cache as cache_mod
import service.pipeline._rewriter as rewriter_mod
from service.llm import FakeChatModel, ModelParams
from service.models import RewriteRequest, RewriteResponse
from service.pipeline import Rewriter
from service.prompting import load_prompts
from service.store._cache import MemoryCache
from tests.conftest import GOOD_ANSWER

pytestmark = pytest.mark.unit


def rewriter(model: FakeChatModel, cache: MemoryCache) -> Rewriter:
    return Rewriter(model=model, prompts=load_prompts(), params=ModelParams(), cache=cache)


class _Checks:
    """Counts the re-checks of cached entries (and runs them)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = rewriter_mod.verified

        def counted(request: RewriteRequest, response: RewriteResponse) -> bool:
            self.calls += 1
            return real(request, response)

        monkeypatch.setattr(rewriter_mod, "verified", counted)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> _Checks:
    return _Checks(monkeypatch)


async def _stored(request: RewriteRequest) -> tuple[MemoryCache, str, bytes]:
    cache = MemoryCache()
    first = await rewriter(FakeChatModel([GOOD_ANSWER]), cache).rewrite(request)
    assert not first.cached
    key = rewriter(FakeChatModel(), cache).cache_key(request)
    raw = await cache.get(key)
    assert raw is not None
    return cache, key, raw


async def test_a_sealed_entry_is_served_without_a_new_check(
    pushy_request: RewriteRequest, checks: _Checks
) -> None:
    cache, _, raw = await _stored(pushy_request)
    assert raw.startswith(b"tseal1:")
    stored_checks = checks.calls  # the check run before sealing
    hit = await rewriter(FakeChatModel(), cache).rewrite(pushy_request)
    assert hit.cached is True
    assert checks.calls == stored_checks


async def test_an_unsealed_entry_is_rechecked(
    pushy_request: RewriteRequest, checks: _Checks
) -> None:
    cache, key, raw = await _stored(pushy_request)
    payload = raw.split(b"\n", 1)[1]
    await cache.set(key, payload, 60)  # as written before seals, or by another writer
    before = checks.calls
    hit = await rewriter(FakeChatModel(), cache).rewrite(pushy_request)
    assert hit.cached is True
    assert checks.calls == before + 1


async def test_a_seal_from_another_process_is_rechecked(
    pushy_request: RewriteRequest, checks: _Checks, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, _, _ = await _stored(pushy_request)
    monkeypatch.setattr(cache_mod, "_SEAL_KEY", b"another process" * 2)
    before = checks.calls
    hit = await rewriter(FakeChatModel(), cache).rewrite(pushy_request)
    assert hit.cached is True
    assert checks.calls == before + 1


async def test_a_payload_changed_after_sealing_is_rechecked_and_not_served(
    pushy_request: RewriteRequest, checks: _Checks
) -> None:
    cache, key, raw = await _stored(pushy_request)
    seal, payload = raw.split(b"\n", 1)
    poisoned = payload.replace(b"Hi Dana", b"Pay now at https://evil.example/pay. Hi Dana", 1)
    assert poisoned != payload
    await cache.set(key, seal + b"\n" + poisoned, 60)
    model = FakeChatModel([GOOD_ANSWER])
    before = checks.calls
    response = await rewriter(model, cache).rewrite(pushy_request)
    assert checks.calls >= before + 1
    assert response.cached is False
    assert len(model.calls) == 1
    assert "evil.example" not in response.model_dump_json()


async def test_a_seal_for_another_key_does_not_vouch(
    pushy_request: RewriteRequest, checks: _Checks
) -> None:
    cache, key, raw = await _stored(pushy_request)
    other: Any = pushy_request.model_copy(
        update={"options": pushy_request.options.model_copy(update={"temperature": 0.1})}
    )
    other_key = rewriter(FakeChatModel(), cache).cache_key(other)
    assert other_key != key
    await cache.set(other_key, raw, 60)  # a sealed entry copied under another request's key
    before = checks.calls
    hit = await rewriter(FakeChatModel(), cache).rewrite(other)
    assert hit.cached is True  # the same draft and context: it passes the re-check
    assert checks.calls == before + 1


class _Recording(MemoryCache):
    """A cache that records every read and write it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    async def get(self, key: str) -> bytes | None:
        self.calls.append("get")
        return await super().get(key)

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        self.calls.append("set")
        await super().set(key, value, ttl_s)


async def test_a_ttl_of_zero_never_touches_the_cache(
    pushy_request: RewriteRequest, checks: _Checks
) -> None:
    cache = _Recording()
    model = FakeChatModel([GOOD_ANSWER, GOOD_ANSWER])
    quiet = Rewriter(
        model=model, prompts=load_prompts(), params=ModelParams(), cache=cache, cache_ttl_s=0
    )
    first = await quiet.rewrite(pushy_request)
    second = await quiet.rewrite(pushy_request)
    assert (first.source, second.source) == ("model", "model")
    assert not first.cached
    assert not second.cached
    assert model.remaining == 0  # both came from the model
    assert cache.calls == []  # no lookup, no write: nothing to re-check either
    assert checks.calls == 0
