"""Streaming: nothing is sent before it has passed the guard.

A rewrite streams as `strategy`, then `delta` events, then exactly one
`result`, or a `problem` event (an RFC 9457 problem document) in place of
the result when the rewrite could not finish. The model's answer is buffered
and checked first: the `delta` events carry the released body, cut at
sentence ends, so no text the guard would reject or replace ever reaches
the client (`replaced_streamed_text` is therefore always false; it stays in
the result for older clients). The model is still called streaming, which
keeps long generations alive through proxies.

Cancellation (a client that goes away) propagates into the model call: no
task outlives the stream.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from service.errors import TactfulError, problem_document
from service.llm import ChatMessage, ChatModel, ModelAnswer, ModelParams, ModelUnavailable
from service.models import RewriteResponse, StrategyChoice

_log = logging.getLogger("tactful.pipeline")
# A sentence and the space after it (or a run of line breaks); joined, the pieces give the body.
_PIECE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n+|\Z)[^\S\n]*\n*", re.S)


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One server-sent event of a streamed rewrite."""

    event: str  # "strategy" | "delta" | "result" | "problem"
    data: dict[str, Any]


async def stream_answer(
    model: ChatModel, messages: Sequence[ChatMessage], params: ModelParams
) -> ModelAnswer:
    """Call the model streaming and return its final answer (nothing is forwarded)."""
    final: ModelAnswer | None = None
    async for item in model.stream(messages, params=params):
        if isinstance(item, ModelAnswer):
            final = item
    if final is None:
        raise ModelUnavailable(
            "the stream ended without a final answer",
            reason="The model's answer stream ended without a final answer.",
        )
    return final


def sentence_pieces(body: str) -> list[str]:
    """The body cut after each sentence end or line break; the pieces join back to it."""
    return [piece for piece in _PIECE.findall(body) if piece]


def problem_event(exc: Exception) -> StreamEvent:
    """The `problem` event that ends a stream which could not produce its result."""
    if isinstance(exc, TactfulError):
        return StreamEvent("problem", problem_document(exc.status, exc.detail))
    # No detail: exception text may quote a message body.
    _log.error("stream ended by an unhandled %s", type(exc).__name__)
    return StreamEvent("problem", problem_document(500, "An unexpected error occurred."))


async def stream_events(
    strategy: Callable[[], Awaitable[StrategyChoice]],
    run: Callable[[], Awaitable[RewriteResponse]],
) -> AsyncIterator[StreamEvent]:
    """The strategy, the released body in sentence deltas, then the result (or a problem)."""
    try:
        yield StreamEvent("strategy", (await strategy()).model_dump())
        response = await run()
    except Exception as exc:  # every stream ends with a result or a problem, never silently
        yield problem_event(exc)
        return
    for piece in sentence_pieces(response.rewrite.body):
        yield StreamEvent("delta", {"text": piece})
    final = response.model_dump(mode="json")
    final["replaced_streamed_text"] = False
    yield StreamEvent("result", final)
