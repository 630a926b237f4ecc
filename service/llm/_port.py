"""The model port: what the pipeline needs from any chat model.

The pipeline only sees `ChatModel`. Adapters: `OpenAIChatModel` (every real
endpoint, including the embedded local server) and `FakeChatModel` (tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypedDict

from service.models import Usage
from service.settings import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class ModelParams:
    """Generation parameters; part of the cache and recording keys."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = DEFAULT_TEMPERATURE
    seed: int | None = 7


@dataclass(frozen=True, slots=True)
class ModelAnswer:
    text: str
    finish_reason: str  # "stop", "length", "content_filter", ...
    model: str
    usage: Usage = field(default_factory=Usage)


class ModelError(Exception):
    """Base class: the model could not give an answer."""


class ModelUnavailable(ModelError):
    """Connection failures, timeouts, 429/5xx after retries, deadline exceeded."""


class ModelRejected(ModelError):
    """A non-retryable refusal: bad request, auth, insufficient quota."""


class ChatModel(Protocol):
    """Anything that turns chat messages into one answer."""

    @property
    def name(self) -> str: ...

    async def complete(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> ModelAnswer: ...

    def stream(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> AsyncIterator[str | ModelAnswer]:
        """Yield text deltas as they arrive, then exactly one final ModelAnswer."""
        ...
