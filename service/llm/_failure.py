"""How a failed or odd model call is described: the port's error with the true reason.

Split from the adapter (`_openai.py`) so each stays small: this module maps the
last failure of a call (after retries, the deadline, a Retry-After over the cap
or an open circuit breaker) to `ModelUnavailable` / `ModelRejected` with one
sentence safe to show the caller, and turns a raw completion into `ModelAnswer`.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

import openai
from openai.types.chat import ChatCompletion

from service.llm._port import ModelAnswer, ModelError, ModelRejected, ModelUnavailable
from service.llm._retry import MalformedResponse, retry_after_s, retry_reason
from service.llm._stream import usage_from

log = logging.getLogger("service.llm._openai")
_SAFE_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True, slots=True)
class CallLimits:
    """What the adapter was allowed: attempts, deadline, per-attempt timeout, Retry-After cap."""

    model: str
    max_attempts: int
    deadline_s: float
    attempt_timeout_s: float | None
    retry_after_cap_s: float


def final_error(
    limits: CallLimits, exc: BaseException, attempts: int, deadline_at: float, *, now_open: bool
) -> ModelError:
    """Map the last failure of a call to the port's error, with the true reason."""
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    paused = "; calls to it are now paused (circuit breaker open)" if now_open else ""
    label = retry_reason(exc)
    if label is not None:
        asked = retry_after_s(exc)
        over_cap = asked is not None and asked > limits.retry_after_cap_s
        deadline_hit = time.monotonic() >= deadline_at or (
            attempts < limits.max_attempts and not over_cap and not now_open
        )
        if over_cap:
            what = (
                f"The model endpoint asked us to wait {asked:g} s (HTTP "
                f"{getattr(exc, 'status_code', '?')} with Retry-After), longer than the "
                f"{limits.retry_after_cap_s:g} s a request waits, so it was not retried"
            )
        else:
            what = describe_transient(limits, label, exc, deadline_hit)
            if deadline_hit and label != "timeout":
                what += f", until the {limits.deadline_s:g} s deadline"
        return ModelUnavailable(
            f"model {limits.model} unavailable after {tries}"
            f"{' (deadline reached)' if deadline_hit else ''}: last failure {label}",
            reason=f"{what} ({tries}){paused}.",
        )
    if isinstance(exc, openai.APIStatusError):
        code = exc.code if isinstance(exc.code, str) and _SAFE_CODE.match(exc.code) else None
        return ModelRejected(
            f"model {limits.model} rejected the request: HTTP {exc.status_code}"
            f"{f' ({code})' if code else ''}",
            reason=f"The model endpoint refused the request (HTTP {exc.status_code}"
            f"{f', {code}' if code else ''}){paused}.",
        )
    if isinstance(exc, openai.OpenAIError):
        return ModelRejected(
            f"model {limits.model} client error: {type(exc).__name__}",
            reason=f"The model client failed ({type(exc).__name__}){paused}.",
        )
    log.warning(
        "unexpected error from the model call",
        extra={"model": limits.model, "error": type(exc).__name__},
    )
    return ModelUnavailable(
        f"model {limits.model} call failed unexpectedly: {type(exc).__name__}",
        reason=f"The model call failed unexpectedly ({type(exc).__name__}){paused}.",
    )


def describe_transient(
    limits: CallLimits, label: str, exc: BaseException, deadline_hit: bool
) -> str:
    if label == "timeout":
        if deadline_hit or limits.attempt_timeout_s is None:
            return f"The model did not answer within the {limits.deadline_s:g} s deadline"
        return f"The model did not answer within {limits.attempt_timeout_s:g} s"
    if label == "connection":
        return "The model endpoint could not be reached or dropped the connection"
    if label == "malformed":
        return "The model endpoint answered with something that is not a chat completion"
    if label == "api_error":
        return "The model endpoint reported an error in the middle of its answer"
    status = getattr(exc, "status_code", None)
    if status == 429:
        return "The model endpoint is rate-limiting us (HTTP 429)"
    return f"The model endpoint failed with HTTP {status}"


def to_answer(raw: object, *, fallback_model: str) -> ModelAnswer:
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
