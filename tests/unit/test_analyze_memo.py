"""The /v1/analyze memo: a repeat is answered with the very same bytes, errors never are."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.api import analyze as analyze_route
from service.api._memo import MAX_ENTRY_BYTES, AnalyzeMemo, AnalyzeMemoMiddleware, MemoEntry
from service.models import Analysis
from service.observability import metrics
from service.settings import Settings, settings_from_env
from tests.conftest import DANA_CONTEXT, PUSHY_DRAFT, make_app

pytestmark = pytest.mark.unit

PROBLEM = "application/problem+json"


def analyze_body(marker: str = "", **extra: Any) -> bytes:
    payload: dict[str, Any] = {
        "draft": {"channel": "email", "subject": "Following up", "body": PUSHY_DRAFT + marker},
        "context": DANA_CONTEXT,
        **extra,
    }
    return json.dumps(payload).encode()


class CountingAnalyze:
    """Wraps the handler's `analyze` to count how many requests really ran the analyzer."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self._real = analyze_route.analyze
        monkeypatch.setattr(analyze_route, "analyze", self)

    def __call__(self, *args: Any, **kwargs: Any) -> Analysis:
        self.calls += 1
        return self._real(*args, **kwargs)


def memo_of(app: Litestar) -> AnalyzeMemo:
    memo: AnalyzeMemo = app.state.analyze_memo
    return memo


async def post(client: AsyncTestClient[Litestar], body: bytes, **headers: str) -> Any:
    return await client.post(
        "/v1/analyze", content=body, headers={"content-type": "application/json", **headers}
    )


def memo_counts() -> tuple[float, float]:
    """(hits, misses) so far in this process (the metrics registry is per process)."""
    registry = metrics().registry
    hits = registry.get_sample_value("tactful_analyze_memo_total", {"result": "hit"})
    misses = registry.get_sample_value("tactful_analyze_memo_total", {"result": "miss"})
    return hits or 0.0, misses or 0.0


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return make_app(settings)


async def test_a_hit_returns_the_same_bytes_without_analyzing_again(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingAnalyze(monkeypatch)
    hits, misses = memo_counts()
    async with AsyncTestClient(app=app) as client:
        first = await post(client, analyze_body())
        second = await post(client, analyze_body())
        exposed = (await client.get("/metrics")).text
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["content-length"] == first.headers["content-length"]
    assert counting.calls == 1
    assert len(memo_of(app)) == 1
    assert memo_counts() == (hits + 1, misses + 1)
    assert 'tactful_analyze_memo_total{result="hit"}' in exposed


async def test_outer_middleware_still_runs_on_a_hit(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as client:
        first = await post(client, analyze_body(), **{"X-Request-ID": "first-1"})
        second = await post(client, analyze_body(), **{"X-Request-ID": "second-2"})
    assert second.headers["X-Request-ID"] == "second-2"
    # A hit still spends the caller's rate limit.
    remaining = [int(r.headers["RateLimit-Remaining"]) for r in (first, second)]
    assert remaining[1] == remaining[0] - 1


async def test_cors_headers_are_added_to_hits_too(settings: Settings) -> None:
    origin = "chrome-extension://abc"
    app = make_app(settings.model_copy(update={"cors_origins": (origin,)}))
    async with AsyncTestClient(app=app) as client:
        responses = [await post(client, analyze_body(), origin=origin) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all(r.headers["access-control-allow-origin"] == origin for r in responses)
    assert responses[2].content == responses[0].content


async def test_different_requests_get_their_own_answers(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingAnalyze(monkeypatch)
    async with AsyncTestClient(app=app) as client:
        plain = await post(client, analyze_body())
        longer = await post(client, analyze_body(" Thanks for your time today."))
        limited = await post(client, analyze_body(options={"max_words": 20}))
        again = await post(client, analyze_body(options={"max_words": 20}))
    assert counting.calls == 3
    assert len({plain.content, longer.content, limited.content}) == 3
    assert again.content == limited.content


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="broken-json"),
        pytest.param(b'{"draft": 1}', id="invalid-field"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_errors_are_never_memoized(app: Litestar, body: bytes) -> None:
    async with AsyncTestClient(app=app) as client:
        first = await post(client, body)
        second = await post(client, body)
    assert 400 <= first.status_code < 500
    assert first.headers["content-type"].startswith(PROBLEM)
    assert (second.status_code, second.content) == (first.status_code, first.content)
    assert len(memo_of(app)) == 0


async def test_a_valid_answer_after_an_error_is_memoized(settings: Settings) -> None:
    app = make_app(settings)
    async with AsyncTestClient(app=app) as client:
        bad = await post(client, b'{"draft": 1}')
        good = await post(client, analyze_body())
    assert bad.status_code == 422
    assert good.status_code == 200
    assert len(memo_of(app)) == 1


async def test_oversized_bodies_still_get_413(settings: Settings) -> None:
    app = make_app(settings.model_copy(update={"max_body_bytes": 4096}))
    big = analyze_body(" word" * 2000)
    async with AsyncTestClient(app=app) as client:
        responses = [await post(client, big) for _ in range(2)]
    assert [r.status_code for r in responses] == [413, 413]
    assert all(r.headers["content-type"].startswith(PROBLEM) for r in responses)
    assert len(memo_of(app)) == 0


async def test_disabled_when_size_is_zero(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(settings.model_copy(update={"analyze_memo_size": 0}))
    counting = CountingAnalyze(monkeypatch)
    before = memo_counts()
    async with AsyncTestClient(app=app) as client:
        first = await post(client, analyze_body())
        second = await post(client, analyze_body())
    assert first.content == second.content
    assert counting.calls == 2
    assert len(memo_of(app)) == 0
    assert not memo_of(app).enabled
    assert memo_counts() == before


async def test_the_rewrite_path_does_not_use_the_memo(app: Litestar) -> None:
    body = json.loads(analyze_body())
    async with AsyncTestClient(app=app) as client:
        for _ in range(2):
            response = await client.post("/v1/rewrites", json=body)
            assert response.status_code == 200
    assert len(memo_of(app)) == 0


def test_the_lru_is_bounded_and_keeps_the_most_recent() -> None:
    memo = AnalyzeMemo(2)
    entries = {
        name: MemoEntry(((b"content-type", b"application/json"),), name)
        for name in (b"a", b"b", b"c")
    }
    memo.put(b"ka", entries[b"a"])
    memo.put(b"kb", entries[b"b"])
    assert memo.get(b"ka") == entries[b"a"]  # "a" is now the most recently used
    memo.put(b"kc", entries[b"c"])
    assert len(memo) == 2
    assert memo.get(b"kb") is None  # the least recently used went first
    assert memo.get(b"ka") == entries[b"a"]
    assert memo.get(b"kc") == entries[b"c"]
    memo.put(b"kc", entries[b"a"])  # replacing an entry does not grow the memo
    assert len(memo) == 2
    assert memo.stored_bytes == 2


def test_the_lru_is_bounded_in_bytes_too() -> None:
    memo = AnalyzeMemo(100, max_bytes=10)
    for i in range(5):
        memo.put(bytes([i]), MemoEntry((), b"1234"))
    assert memo.stored_bytes <= 10
    assert len(memo) == 2
    memo.put(b"huge", MemoEntry((), b"x" * (MAX_ENTRY_BYTES + 1)))
    assert memo.get(b"huge") is None


def test_zero_size_stores_nothing() -> None:
    memo = AnalyzeMemo(0)
    memo.put(b"k", MemoEntry((), b"body"))
    assert not memo.enabled
    assert len(memo) == 0
    assert memo.get(b"k") is None


def test_keys_depend_on_the_caller_and_every_byte() -> None:
    body = analyze_body()
    key = AnalyzeMemo.key("key:abc", body)
    assert key == AnalyzeMemo.key("key:abc", body)
    assert key != AnalyzeMemo.key("key:xyz", body)
    assert key != AnalyzeMemo.key("key:abc", body + b" ")


def test_memo_size_setting() -> None:
    assert Settings().analyze_memo_size == 4096
    assert settings_from_env({"TACTFUL_ANALYZE_MEMO_SIZE": "0"}).analyze_memo_size == 0
    with pytest.raises(ValueError, match="analyze_memo_size"):
        settings_from_env({"TACTFUL_ANALYZE_MEMO_SIZE": "-1"})


async def test_openapi_documents_the_analyze_request_and_response(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/v1/analyze"]["post"]
    body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    answer_ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref.rsplit("/", 1)[1] == "AnalyzeRequest"
    assert answer_ref.rsplit("/", 1)[1] == "Analysis"
    components = schema["components"]["schemas"]
    assert {"draft", "context", "original", "options"} <= set(
        components["AnalyzeRequest"]["properties"]
    )
    assert {"score", "strategy", "findings", "metrics"} <= set(components["Analysis"]["properties"])


# ------------------------------------------------------------ the middleware on raw ASGI


class EchoApp:
    """An inner app that reads the whole body (as Litestar does) and answers it back."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls = 0
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        body = b""
        while True:
            message = await receive()
            self.seen.append(message)
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


class FakeApp:
    def __init__(self, memo: AnalyzeMemo, limit: int) -> None:
        self.state = type("S", (), {"analyze_memo": memo})()
        self.request_max_body_size = limit


def run_middleware(
    inner: EchoApp, memo: AnalyzeMemo, messages: list[dict[str, Any]], limit: int = 1024
) -> list[dict[str, Any]]:
    import asyncio

    scope = {"type": "http", "app": FakeApp(memo, limit), "headers": [], "state": {}}
    queue = list(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(AnalyzeMemoMiddleware(inner)(scope, receive, send))
    return sent


def chunks(*parts: bytes) -> list[dict[str, Any]]:
    return [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]


def test_a_body_in_several_chunks_is_memoized_whole() -> None:
    memo, inner = AnalyzeMemo(8), EchoApp()
    first = run_middleware(inner, memo, chunks(b'{"a":', b"1}"))
    second = run_middleware(inner, memo, chunks(b'{"a":1', b"}"))
    assert inner.calls == 1
    assert first[1]["body"] == second[1]["body"] == b'{"a":1}'
    assert second[0]["headers"] == first[0]["headers"]


def test_a_body_over_the_limit_reaches_the_handler_intact() -> None:
    memo, inner = AnalyzeMemo(8), EchoApp(status=413)
    run_middleware(inner, memo, chunks(b"ab", b"cd", b"ef"), limit=3)
    body = b"".join(m.get("body", b"") for m in inner.seen if m["type"] == "http.request")
    assert body == b"abcdef"
    assert len(memo) == 0


def test_a_disconnect_is_passed_on_and_nothing_is_stored() -> None:
    memo, inner = AnalyzeMemo(8), EchoApp()
    messages = [{"type": "http.request", "body": b"ab", "more_body": True}]
    run_middleware(inner, memo, [*messages, {"type": "http.disconnect"}])
    assert [m["type"] for m in inner.seen] == ["http.request", "http.disconnect"]
    assert len(memo) == 0


def test_only_200_answers_are_stored() -> None:
    memo, inner = AnalyzeMemo(8), EchoApp(status=422)
    for _ in range(2):
        run_middleware(inner, memo, chunks(b"{}"))
    assert inner.calls == 2
    assert len(memo) == 0
