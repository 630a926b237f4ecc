"""`ChatModel` over any OpenAI-compatible endpoint, with our single retry layer.

One adapter serves OpenAI, Azure, vLLM, Ollama and the embedded llama.cpp
server alike. Failures are sorted by `_retry`: transient ones are retried with
tenacity (server-directed or jittered backoff) inside one overall deadline;
when attempts or time run out the caller gets `ModelUnavailable`, and a final
refusal is `ModelRejected` at once. The pipeline then falls back to the
composer, so these two exceptions are the whole contract: anything else the
SDK or a transport raises (cut-off JSON, an HTML page, a dropped connection,
a bug) is mapped to one of them, with a `reason` that says what happened.

An optional `CircuitBreaker` gates every attempt: after N consecutive failed
attempts the endpoint is not called for a while, and a `Retry-After` longer
than we are willing to wait inside one request degrades the request at once
and pauses calls until then.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any, Literal, TypeVar, cast

import openai
from openai.types.chat import ChatCompletionChunk
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

from service.llm._breaker import CircuitBreaker
from service.llm._failure import CallLimits, final_error, to_answer
from service.llm._port import (
    ChatMessage,
    ModelAnswer,
    ModelCircuitOpen,
    ModelError,
    ModelParams,
    ModelUnavailable,
)
from service.llm._retry import (
    MalformedResponse,
    RetryAfterOrBackoff,
    StopIfAskedToWaitLonger,
    counts_against_upstream,
    is_transient,
    retry_after_s,
    retry_reason,
)
from service.llm._stream import StreamState, estimate_usage
from service.settings import (
    DEFAULT_MODEL_BACKOFF_INITIAL_S,
    DEFAULT_MODEL_BACKOFF_MAX_S,
    DEFAULT_MODEL_DEADLINE_S,
    DEFAULT_MODEL_MAX_ATTEMPTS,
    DEFAULT_MODEL_RETRY_AFTER_CAP_S,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_DEADLINE_S = DEFAULT_MODEL_DEADLINE_S
DEFAULT_MAX_ATTEMPTS = DEFAULT_MODEL_MAX_ATTEMPTS
DEFAULT_BACKOFF_INITIAL_S = DEFAULT_MODEL_BACKOFF_INITIAL_S
DEFAULT_BACKOFF_MAX_S = DEFAULT_MODEL_BACKOFF_MAX_S
DEFAULT_RETRY_AFTER_CAP_S = DEFAULT_MODEL_RETRY_AFTER_CAP_S
# Provider error codes are echoed to callers only when they look like an identifier.
_SAFE_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


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
        retry_after_cap_s: longest server-directed wait we accept per retry; a
            longer `Retry-After` ends the call at once (and opens the breaker).
        breaker: the upstream's circuit breaker, shared by every call to it.
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
        breaker: CircuitBreaker | None = None,
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
        self._retry_after_cap_s = retry_after_cap_s
        self._breaker = breaker

    @property
    def name(self) -> str:
        return self._model

    @property
    def breaker(self) -> CircuitBreaker | None:
        return self._breaker

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
                except Exception as exc:
                    label = retry_reason(exc) or type(exc).__name__
                    if self._breaker is not None:
                        self._breaker.record_failure(f"stream_{label}")
                    raise ModelUnavailable(
                        f"model {self._model} stream broke after the first delta ({label})",
                        reason=f"The model's answer stream broke after it had started ({label}).",
                    ) from exc
                delta = state.feed(chunk)
                if delta:
                    yield delta
        finally:
            await chunks.close()
        if state.finish_reason is None:
            # Every OpenAI-protocol server ends an answer with a finish reason; without one the
            # text is cut off somewhere, and a cut-off message must not reach the guard as whole.
            if self._breaker is not None:
                self._breaker.record_failure("stream_truncated")
            raise ModelUnavailable(
                f"model {self._model} stream ended without a finish reason",
                reason="The model's answer stream ended before the answer was complete.",
            )
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
        return to_answer(raw, fallback_model=self._model)

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
            received = 0
            try:
                while True:
                    try:
                        chunk = await chunks.__anext__()
                    except StopAsyncIteration:
                        if not received:  # an empty body, or a page that is not SSE at all
                            raise MalformedResponse("the stream carried no chunks") from None
                        state.ended = True
                        return chunks, state, ""
                    received += 1
                    first = state.feed(chunk)
                    if first:
                        return chunks, state, first
            except (ValueError, AttributeError, TypeError) as exc:  # not JSON / not a chunk
                await chunks.close()
                raise MalformedResponse("stream chunk is not a chat completion chunk") from exc
            except BaseException:
                await chunks.close()
                raise

    # -- retries -----------------------------------------------------------

    async def _with_retries(self, attempt: Callable[[], Awaitable[T]], deadline_at: float) -> T:
        attempts = 0
        refused = False  # the breaker refused an attempt (it opened during this call, or before)
        last: Exception | None = None

        async def counted() -> T:
            nonlocal attempts, refused, last
            breaker = self._breaker
            if breaker is not None and not breaker.allow():
                refused = True
                raise self._circuit_open(breaker)
            attempts += 1
            try:
                result = await attempt()
            except Exception as exc:
                last = exc
                if breaker is not None:
                    self._record_failure(breaker, exc)
                raise
            except BaseException:  # cancelled: no verdict on the upstream
                if breaker is not None:
                    breaker.release()
                raise
            if breaker is not None:
                breaker.record_success()
            return result

        retrying = AsyncRetrying(
            stop=(
                stop_after_attempt(self._max_attempts)
                | stop_before_delay(self._deadline_s)
                | StopIfAskedToWaitLonger(self._retry_after_cap_s)
            ),
            wait=self._wait,
            retry=retry_if_exception(is_transient),
            sleep=self._sleep,
            before_sleep=self._note_retry,
            reraise=True,
        )
        try:
            return await retrying(counted)
        except ModelCircuitOpen as exc:
            if last is None:
                raise
            # Our own failures opened the breaker mid-call: report what they were.
            raise self._final_error(last, attempts, deadline_at, now_open=True) from exc
        except ModelError:
            raise
        except Exception as exc:
            raise self._final_error(exc, attempts, deadline_at, now_open=refused) from exc

    def _record_failure(self, breaker: CircuitBreaker, exc: Exception) -> None:
        if not counts_against_upstream(exc):
            breaker.record_success()  # the endpoint answered sensibly about a bad request
            return
        asked = retry_after_s(exc)
        hold = asked if asked is not None and asked > self._retry_after_cap_s else None
        breaker.record_failure(retry_reason(exc) or _status_label(exc), hold_s=hold)

    def _circuit_open(self, breaker: CircuitBreaker) -> ModelCircuitOpen:
        snap = breaker.snapshot()
        last = f", last: {snap.last_failure}" if snap.last_failure else ""
        return ModelCircuitOpen(
            f"model {self._model}: circuit breaker for {snap.upstream} is {snap.state}",
            reason=(
                f"The model endpoint is failing ({snap.consecutive_failures} failed calls in a "
                f"row{last}), so calls to it are paused for {snap.retry_in_s:.0f} s "
                f"(circuit breaker {snap.state.replace('_', '-')})."
            ),
        )

    def _final_error(
        self, exc: BaseException, attempts: int, deadline_at: float, *, now_open: bool
    ) -> ModelError:
        """Map the last failure of a call to the port's error, with the true reason."""
        limits = CallLimits(
            model=self._model,
            max_attempts=self._max_attempts,
            deadline_s=self._deadline_s,
            attempt_timeout_s=self._attempt_timeout_s,
            retry_after_cap_s=self._retry_after_cap_s,
        )
        return final_error(limits, exc, attempts, deadline_at, now_open=now_open)

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


def _status_label(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    return f"status_{status}" if isinstance(status, int) else type(exc).__name__
