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
    """Base class: the model could not give an answer.

    `reason` is one sentence for the caller (it becomes `degraded_reason`): what
    really happened (timeout, refused, breaker open...), never upstream text,
    URLs or keys. The exception message is for logs.
    """

    default_reason = "The model could not give an answer."

    def __init__(self, message: str = "", *, reason: str | None = None) -> None:
        super().__init__(message or reason or self.default_reason)
        self.reason = reason or self.default_reason


class ModelUnavailable(ModelError):
    """Connection failures, timeouts, 429/5xx after retries, deadline exceeded."""

    default_reason = "The model could not be reached."


class ModelCircuitOpen(ModelUnavailable):
    """The upstream failed repeatedly: calls are paused (no request was sent)."""

    default_reason = "The model endpoint is failing, so calls to it are paused."


class ModelRejected(ModelError):
    """A non-retryable refusal: bad request, auth, insufficient quota."""

    default_reason = "The model endpoint refused the request."


def degraded_reason(exc: ModelError) -> str:
    """The sentence a response carries when the model failed: the reason and the error type."""
    return f"{exc.reason.rstrip('.')} ({type(exc).__name__})."


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
