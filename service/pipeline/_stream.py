"""Streaming: the body text as the model writes it, then the checked result."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from service.llm import ChatMessage, ChatModel, ModelAnswer, ModelParams, ModelUnavailable
from service.models import RewriteResponse
from service.pipeline._plan import Plan
from service.prompting import BodyStreamExtractor

DeltaSink = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One server-sent event of a streamed rewrite."""

    event: str  # "strategy" | "delta" | "result"
    data: dict[str, Any]


async def stream_answer(
    model: ChatModel, messages: Sequence[ChatMessage], params: ModelParams, on_delta: DeltaSink
) -> ModelAnswer:
    """Call the model streaming; feed the message body's text to `on_delta` as it comes."""
    extractor = BodyStreamExtractor()
    final: ModelAnswer | None = None
    async for item in model.stream(messages, params=params):
        if isinstance(item, ModelAnswer):
            final = item
        elif text := extractor.feed(item):
            on_delta(text)
    if tail := extractor.finish():
        on_delta(tail)
    if final is None:
        raise ModelUnavailable(
            "the stream ended without a final answer",
            reason="The model's answer stream ended without a final answer.",
        )
    return final


async def stream_events(
    plan: Plan, run: Callable[[DeltaSink], Awaitable[RewriteResponse]]
) -> AsyncIterator[StreamEvent]:
    """The strategy, the body deltas `run` produces, then the result.

    The result says whether the streamed text was replaced (the guard rejected
    it and a repair or the composer wrote the message instead).
    """
    queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue()
    streamed: list[str] = []

    def on_delta(text: str) -> None:
        streamed.append(text)
        queue.put_nowait(StreamEvent("delta", {"text": text}))

    yield StreamEvent("strategy", plan.strategy.model_dump())

    async def produce() -> RewriteResponse:
        try:
            return await run(on_delta)
        finally:
            queue.put_nowait(None)

    task = asyncio.create_task(produce())
    try:
        while (item := await queue.get()) is not None:
            yield item
        response = await task
    finally:
        if not task.done():
            task.cancel()
    if not streamed:
        # Nothing was streamed (cache hit, composer, polished draft): send the text once.
        yield StreamEvent("delta", {"text": response.rewrite.body})
        streamed.append(response.rewrite.body)
    final = response.model_dump(mode="json")
    final["replaced_streamed_text"] = "".join(streamed).strip() != response.rewrite.body.strip()
    yield StreamEvent("result", final)
