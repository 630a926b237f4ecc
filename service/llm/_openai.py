"""`ChatModel` over any OpenAI-compatible endpoint, with our single retry layer.

One adapter serves OpenAI, Azure, vLLM, Ollama and the embedded llama.cpp
server alike. Failures are sorted by `_retry`: transient ones are retried with
tenacity (server-directed or jittered backoff) inside one overall deadline;
when attempts or time run out the caller gets `ModelUnavailable`, and a final
refusal is `ModelRejected` at once. The pipeline then falls back to the
composer, so these two exceptions are the whole contract.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any, Literal, TypeVar, cast

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

from service.llm._port import (
    ChatMessage,
    ModelAnswer,
    ModelError,
    ModelParams,
    ModelRejected,
    ModelUnavailable,
)
from service.llm._retry import MalformedResponse, RetryAfterOrBackoff, is_transient, retry_reason
from service.llm._stream import StreamState, estimate_usage, usage_from

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_DEADLINE_S = 30.0
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_BACKOFF_INITIAL_S = 0.5
DEFAULT_BACKOFF_MAX_S = 8.0
DEFAULT_RETRY_AFTER_CAP_S = 10.0


class OpenAIChatModel:
    """The production `ChatModel`: chat completions through one shared `AsyncOpenAI`.

    Args:
        client: built by `build_openai_client` (SDK retries off); not owned here.
        model: model name sent with every request, e.g. "gpt-4o-mini".
        deadline_s: wall-clock budget for a call, across all attempts and waits.
        max_attempts: attempts in total (1 means no retry).
        attempt_timeout_s: optional ceiling for one attempt; it never exceeds
            what is left of the deadline.
        backoff_initial_s / backoff_max_s: exponential backoff bounds (jittered).
        retry_after_cap_s: longest server-directed wait we accept per retry.
        max_tokens_param: "max_completion_tokens" for OpenAI reasoning models;
            "max_tokens" is what every other compatible server understands.
        stream_usage: ask for a final usage chunk when streaming; turn off for
            servers that reject `stream_options`.
        on_retry: called with a short reason ("timeout", "status_429", ...)
            before each retry, so metrics can count them without parsing logs.
        sleep: the wait between attempts; tests inject a recorder.
    """

    def __init__(
        self,
        *,
        client: openai.AsyncOpenAI,
        model: str,
        deadline_s: float = DEFAULT_DEADLINE_S,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        attempt_timeout_s: float | None = None,
        backoff_initial_s: float = DEFAULT_BACKOFF_INITIAL_S,
        backoff_max_s: float = DEFAULT_BACKOFF_MAX_S,
        retry_after_cap_s: float = DEFAULT_RETRY_AFTER_CAP_S,
        max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens",
        stream_usage: bool = True,
        on_retry: Callable[[str], None] | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if deadline_s <= 0:
            raise ValueError("deadline_s must be positive")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._client = client
        self._model = model
        self._deadline_s = deadline_s
        self._max_attempts = max_attempts
        self._attempt_timeout_s = attempt_timeout_s
        self._wait = RetryAfterOrBackoff(
            initial_s=backoff_initial_s,
            max_s=backoff_max_s,
            retry_after_cap_s=retry_after_cap_s,
        )
        self._max_tokens_param = max_tokens_param
        self._stream_usage = stream_usage
        self._on_retry = on_retry
        self._sleep = sleep

    @property
    def name(self) -> str:
        return self._model

    async def complete(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> ModelAnswer:
        deadline_at = time.monotonic() + self._deadline_s
        return await self._with_retries(
            lambda: self._complete_once(messages, params, deadline_at), deadline_at
        )

    async def stream(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> AsyncGenerator[str | ModelAnswer, None]:
        """Yield text deltas, then one `ModelAnswer`.

        Retries happen only until the first delta: once text has reached the
        caller, a failure cannot be hidden, so it surfaces as `ModelUnavailable`.
        """
        deadline_at = time.monotonic() + self._deadline_s
        chunks, state, first = await self._with_retries(
            lambda: self._open_stream(messages, params, deadline_at), deadline_at
        )
        try:
            if first:
                yield first
            while not state.ended:
                try:
                    async with asyncio.timeout(self._attempt_budget(deadline_at)):
                        chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    state.ended = True
                    break
                except (openai.OpenAIError, TimeoutError, ValueError) as exc:
                    raise ModelUnavailable(
                        f"model {self._model} stream broke after the first delta "
                        f"({retry_reason(exc) or type(exc).__name__})"
                    ) from exc
                delta = state.feed(chunk)
                if delta:
                    yield delta
        finally:
            await chunks.close()
        usage = state.usage or estimate_usage(messages, state.text, completion_tokens=state.deltas)
        yield ModelAnswer(
            text=state.text,
            finish_reason=state.finish_reason or "unknown",
            model=state.model or self._model,
            usage=usage,
        )

    # -- one attempt -------------------------------------------------------

    def _attempt_budget(self, deadline_at: float) -> float:
        """Seconds this attempt may take: the attempt cap, never past the deadline."""
        remaining = deadline_at - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline exceeded before the attempt started")
        if self._attempt_timeout_s is not None:
            return min(remaining, self._attempt_timeout_s)
        return remaining

    def _request_args(
        self, messages: Sequence[ChatMessage], params: ModelParams, timeout: float
    ) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": self._model,
            "messages": [dict(m) for m in messages],
            "temperature": params.temperature,
            self._max_tokens_param: params.max_tokens,
            "timeout": timeout,
        }
        if params.seed is not None:
            args["seed"] = params.seed
        return args

    async def _complete_once(
        self, messages: Sequence[ChatMessage], params: ModelParams, deadline_at: float
    ) -> ModelAnswer:
        budget = self._attempt_budget(deadline_at)
        async with asyncio.timeout(budget):
            raw: object = await self._client.chat.completions.create(
                **self._request_args(messages, params, budget), stream=False
            )
        return _to_answer(raw, fallback_model=self._model)

    async def _open_stream(
        self, messages: Sequence[ChatMessage], params: ModelParams, deadline_at: float
    ) -> tuple[openai.AsyncStream[ChatCompletionChunk], StreamState, str]:
        """Open the stream and read up to the first text delta (the retryable part)."""
        budget = self._attempt_budget(deadline_at)
        args = self._request_args(messages, params, budget)
        if self._stream_usage:
            args["stream_options"] = {"include_usage": True}
        state = StreamState()
        async with asyncio.timeout(budget):
            chunks = cast(
                "openai.AsyncStream[ChatCompletionChunk]",
                await self._client.chat.completions.create(**args, stream=True),
            )
            try:
                while True:
                    try:
                        chunk = await chunks.__anext__()
                    except StopAsyncIteration:
                        state.ended = True
                        return chunks, state, ""
                    first = state.feed(chunk)
                    if first:
                        return chunks, state, first
            except ValueError as exc:  # a chunk that is not JSON / not a chunk
                await chunks.close()
                raise MalformedResponse("stream chunk is not a chat completion chunk") from exc
            except BaseException:
                await chunks.close()
                raise

    # -- retries -----------------------------------------------------------

    async def _with_retries(self, attempt: Callable[[], Awaitable[T]], deadline_at: float) -> T:
        attempts = 0

        async def counted() -> T:
            nonlocal attempts
            attempts += 1
            return await attempt()

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts) | stop_before_delay(self._deadline_s),
            wait=self._wait,
            retry=retry_if_exception(is_transient),
            sleep=self._sleep,
            before_sleep=self._note_retry,
            reraise=True,
        )
        try:
            return await retrying(counted)
        except ModelError:
            raise
        except Exception as exc:
            reason = retry_reason(exc)
            if reason is not None:
                late = time.monotonic() >= deadline_at
                raise ModelUnavailable(
                    f"model {self._model} unavailable after {attempts} attempt(s)"
                    f"{' (deadline reached)' if late else ''}: last failure {reason}"
                ) from exc
            if isinstance(exc, openai.APIStatusError):
                raise ModelRejected(
                    f"model {self._model} rejected the request: HTTP {exc.status_code}"
                    f"{f' ({exc.code})' if exc.code else ''}"
                ) from exc
            if isinstance(exc, openai.OpenAIError):
                raise ModelRejected(
                    f"model {self._model} client error: {type(exc).__name__}"
                ) from exc
            raise

    def _note_retry(self, retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        reason = (retry_reason(exc) if exc is not None else None) or "unknown"
        log.warning(
            "model call failed, retrying",
            extra={
                "model": self._model,
                "attempt": retry_state.attempt_number,
                "reason": reason,
                "wait_s": round(retry_state.upcoming_sleep, 3),
            },
        )
        if self._on_retry is not None:
            self._on_retry(reason)


def _to_answer(raw: object, *, fallback_model: str) -> ModelAnswer:
    """Map a completion to `ModelAnswer`, or raise `MalformedResponse` if it isn't one.

    The SDK does not validate responses strictly: a garbage body comes back as
    a `str`, and JSON of the wrong shape as a `ChatCompletion` full of Nones.
    """
    if not isinstance(raw, ChatCompletion):
        raise MalformedResponse(f"expected a chat completion, got {type(raw).__name__}")
    choices: object = raw.choices
    if not isinstance(choices, list) or not choices:
        raise MalformedResponse("chat completion without choices")
    choice = choices[0]
    message = getattr(choice, "message", None)
    content = getattr(message, "content", None)
    finish_reason = getattr(choice, "finish_reason", None)
    if message is None or not (content is None or isinstance(content, str)):
        raise MalformedResponse("chat completion choice without a text message")
    if content is None and finish_reason is None:
        raise MalformedResponse("chat completion choice with neither text nor finish reason")
    model = raw.model if isinstance(raw.model, str) and raw.model else fallback_model
    return ModelAnswer(
        text=content or "",
        finish_reason=str(finish_reason) if finish_reason else "unknown",
        model=model,
        usage=usage_from(getattr(raw, "usage", None)),
    )
