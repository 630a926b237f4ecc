"""A scripted `ChatModel` for tests: answers come from a queue, calls are recorded.

Each call pops the next item: a `str` becomes a `ModelAnswer` that stopped
normally, a `ModelAnswer` is returned as is, an exception is raised. An empty
queue is a test bug, so it fails with a message saying how many calls were
scripted rather than inventing an answer.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncGenerator, Iterable, Sequence
from dataclasses import dataclass

from service.llm._port import ChatMessage, ModelAnswer, ModelParams
from service.llm._stream import estimate_usage

# Streaming splits the text into about this many deltas (fewer for short text).
STREAM_PIECES = 4


class FakeQueueEmpty(AssertionError):
    """More model calls happened than the test scripted."""


@dataclass(frozen=True, slots=True)
class FakeCall:
    messages: tuple[ChatMessage, ...]
    params: ModelParams
    streamed: bool


class FakeChatModel:
    def __init__(
        self, answers: Iterable[str | ModelAnswer | Exception] = (), *, name: str = "fake"
    ) -> None:
        self._queue: deque[str | ModelAnswer | Exception] = deque(answers)
        self._name = name
        self.calls: list[FakeCall] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def remaining(self) -> int:
        """Scripted answers not yet consumed (tests assert it reaches 0)."""
        return len(self._queue)

    def push(self, *answers: str | ModelAnswer | Exception) -> None:
        self._queue.extend(answers)

    async def complete(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> ModelAnswer:
        return self._next(messages, params, streamed=False)

    async def stream(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> AsyncGenerator[str | ModelAnswer, None]:
        answer = self._next(messages, params, streamed=True)
        for piece in split_text(answer.text, STREAM_PIECES):
            yield piece
        yield answer

    def _next(
        self, messages: Sequence[ChatMessage], params: ModelParams, *, streamed: bool
    ) -> ModelAnswer:
        self.calls.append(FakeCall(tuple(messages), params, streamed))
        if not self._queue:
            raise FakeQueueEmpty(
                f"FakeChatModel {self._name!r} got call #{len(self.calls)} "
                f"but only {len(self.calls) - 1} answer(s) were scripted"
            )
        item = self._queue.popleft()
        if isinstance(item, Exception):
            raise item
        if isinstance(item, ModelAnswer):
            return item
        return ModelAnswer(
            text=item,
            finish_reason="stop",
            model=self._name,
            usage=estimate_usage(messages, item),
        )


def split_text(text: str, pieces: int) -> list[str]:
    """Cut `text` into at most `pieces` non-empty chunks at word ends; joined, they give it back."""
    words = [w for w in re.findall(r"\S*\s*", text) if w]
    size = max(1, -(-len(words) // max(1, pieces)))
    return ["".join(words[i : i + size]) for i in range(0, len(words), size)]
