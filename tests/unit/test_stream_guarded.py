"""Streaming sends only checked text, and every stream ends with `result` or `problem`.

The pipeline is driven with scripted models (the fake, or small stubs that
fail mid-stream or never answer); one test reads the SSE bytes over HTTP.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.llm import ChatMessage, FakeChatModel, ModelAnswer, ModelParams, ModelUnavailable
from service.models import RewriteRequest
from service.pipeline import Rewriter, StreamEvent
from service.pipeline._stream import sentence_pieces
from service.prompting import load_prompts
from service.settings import Settings
from tests.conftest import BAD_ANSWER, DANA_CONTEXT, GOOD_ANSWER, PUSHY_DRAFT, make_app

pytestmark = pytest.mark.unit


class BreaksMidStream:
    """Streams the start of an answer, then raises `error`."""

    name = "breaks-mid-stream"

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def complete(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> ModelAnswer:
        raise self.error

    async def stream(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> AsyncGenerator[str | ModelAnswer, None]:
        yield "<subject>Last chance</subject>\n<body>\nHi Dana, I've emailed you three times"
        raise self.error


class NeverAnswers:
    """Blocks in the stream until cancelled; records that it was."""

    name = "never-answers"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = False

    async def complete(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> ModelAnswer:
        raise NotImplementedError

    async def stream(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> AsyncGenerator[str | ModelAnswer, None]:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        yield "unreachable"


def rewriter(model: Any) -> Rewriter:
    return Rewriter(model=model, prompts=load_prompts(), params=ModelParams())


async def collect(rw: Rewriter, request: RewriteRequest) -> list[StreamEvent]:
    return [event async for event in rw.rewrite_stream(request)]


def streamed_text(events: list[StreamEvent]) -> str:
    return "".join(e.data["text"] for e in events if e.event == "delta")


async def test_deltas_are_the_checked_body_cut_at_sentences(
    pushy_request: RewriteRequest,
) -> None:
    events = await collect(rewriter(FakeChatModel([GOOD_ANSWER])), pushy_request)
    assert next(e.event for e in events) == "strategy"
    assert events[-1].event == "result"
    deltas = [e.data["text"] for e in events if e.event == "delta"]
    assert len(deltas) >= 3
    assert "".join(deltas) == events[-1].data["rewrite"]["body"]
    assert all(d.rstrip().endswith((".", "?", "!", ",")) or d.endswith("\n") for d in deltas[:-1])


async def test_a_model_that_fails_mid_stream_ends_with_the_editors_result(
    pushy_request: RewriteRequest,
) -> None:
    events = await collect(rewriter(BreaksMidStream(ModelUnavailable("reset"))), pushy_request)
    assert events[-1].event == "result"
    final = events[-1].data
    assert final["source"] in ("editor", "composer")
    assert "could not be reached" in final["degraded_reason"]
    # Nothing the model had started to write was sent.
    assert "three times" not in streamed_text(events)
    assert streamed_text(events) == final["rewrite"]["body"]


async def test_any_exception_from_the_model_mid_stream_degrades_to_a_result(
    pushy_request: RewriteRequest,
) -> None:
    events = await collect(rewriter(BreaksMidStream(RuntimeError("boom"))), pushy_request)
    assert events[-1].event == "result"
    final = events[-1].data
    assert final["source"] in ("editor", "composer")
    assert "unexpectedly" in final["degraded_reason"]
    assert "boom" not in json.dumps(final)
    assert streamed_text(events) == final["rewrite"]["body"]


async def test_a_failure_outside_the_model_ends_the_stream_with_a_problem_event(
    pushy_request: RewriteRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    import service.pipeline._rewriter as rewriter_module

    def broken(*_: object, **__: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(rewriter_module, "fallback", broken)
    events = await collect(rewriter(BreaksMidStream(RuntimeError("x"))), pushy_request)
    assert [e.event for e in events] == ["strategy", "problem"]
    problem = events[-1].data
    assert problem["status"] == 500
    assert problem["title"]
    assert problem["type"] == "about:blank"
    assert "boom" not in json.dumps(problem)  # exception text may quote a message


async def test_text_the_guard_replaced_never_streams(pushy_request: RewriteRequest) -> None:
    events = await collect(rewriter(FakeChatModel([BAD_ANSWER, BAD_ANSWER])), pushy_request)
    final = events[-1].data
    assert events[-1].event == "result"
    assert final["source"] in ("editor", "composer")
    assert final["replaced_streamed_text"] is False
    assert "three times" not in streamed_text(events)
    assert "Last chance" not in json.dumps([e.data for e in events])
    assert streamed_text(events) == final["rewrite"]["body"]


async def test_a_client_that_goes_away_cancels_the_model_call(
    pushy_request: RewriteRequest,
) -> None:
    model = NeverAnswers()
    stream = rewriter(model).rewrite_stream(pushy_request)
    first = await anext(stream)
    assert first.event == "strategy"
    pending = asyncio.ensure_future(anext(stream))
    await model.started.wait()
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    await stream.aclose()
    assert model.cancelled
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftover == []


def test_sentence_pieces_join_back_to_the_body() -> None:
    body = "Hi Dana,\n\nOne idea... Would it help?! Yes.\r\nBest,\nChris"
    pieces = sentence_pieces(body)
    assert "".join(pieces) == body
    assert pieces[:3] == ["Hi Dana,\n\n", "One idea... ", "Would it help?! "]


async def test_http_stream_sends_only_checked_text_in_crlf_events(settings: Settings) -> None:
    app = make_app(settings, FakeChatModel([BAD_ANSWER, GOOD_ANSWER]))
    body = {
        "draft": {"channel": "email", "subject": "Following up", "body": PUSHY_DRAFT},
        "context": DANA_CONTEXT,
    }
    async with AsyncTestClient(app=app) as client:
        response = await client.post(
            "/v1/rewrites", json=body, headers={"accept": "text/event-stream"}
        )
    assert response.status_code == 200
    raw = response.text
    assert "\r\n\r\n" in raw
    assert "\n\n" not in raw.replace("\r\n", "")
    events = [_parse(block) for block in raw.split("\r\n\r\n") if block.strip()]
    names = [name for name, _ in events]
    assert names[0] == "strategy"
    assert names[-1] == "result"
    assert set(names[1:-1]) == {"delta"}
    final = events[-1][1]
    assert final["repaired"] is True
    assert (
        "".join(data["text"] for name, data in events if name == "delta")
        == (final["rewrite"]["body"])
    )
    # The rejected first answer never reached the wire.
    assert "three times and you never replied" not in raw
    assert "Last chance" not in raw


async def test_http_stream_of_a_failing_model_ends_with_a_result(settings: Settings) -> None:
    app = make_app(settings, FakeChatModel([RuntimeError("upstream exploded")]))
    body = {"draft": {"channel": "email", "body": PUSHY_DRAFT}, "context": DANA_CONTEXT}
    async with AsyncTestClient(app=app) as client:
        response = await client.post(
            "/v1/rewrites", json=body, headers={"accept": "text/event-stream"}
        )
    events = [_parse(block) for block in response.text.split("\r\n\r\n") if block.strip()]
    assert events[0][0] == "strategy"
    assert events[-1][0] == "result"
    assert "upstream exploded" not in response.text


def _parse(block: str) -> tuple[str, Any]:
    name, data = "message", []
    for line in block.split("\r\n"):
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return name, json.loads("\n".join(data))
