"""Builders shared by the model-layer tests: canned OpenAI bodies and a sleep recorder.

Imported explicitly by `tests/unit/test_llm_*.py` (not a conftest: the lead
owns those).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

from service.llm import ChatMessage

BASE_URL = "http://llm.test/v1"
CHAT_URL = f"{BASE_URL}/chat/completions"
MODEL = "gpt-test"
MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "You rewrite follow-ups."},
    {"role": "user", "content": "Rewrite: just checking in."},
]


def completion_json(
    text: str | None = "Hello Dana",
    *,
    finish_reason: str | None = "stop",
    model: str = MODEL,
    usage: tuple[int, int] | None = (21, 4),
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
            }
        ],
    }
    if usage is not None:
        body["usage"] = {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        }
    return body


def ok(text: str = "Hello Dana", **kwargs: Any) -> httpx.Response:
    return httpx.Response(200, json=completion_json(text, **kwargs))


def error(
    status: int, *, code: str | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    payload = {"error": {"message": "nope", "type": code or "server_error", "code": code}}
    return httpx.Response(status, json=payload, headers=headers)


def chunk(
    content: str | None = None,
    *,
    finish_reason: str | None = None,
    model: str = MODEL,
    usage: tuple[int, int] | None = None,
    choices: bool = True,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": model,
        "choices": [],
    }
    if choices:
        delta = {} if content is None else {"content": content}
        body["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    if usage is not None:
        body["usage"] = {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        }
    return body


def sse(events: Sequence[dict[str, Any] | str], *, done: bool = True) -> httpx.Response:
    """An SSE response; a `str` event is sent as raw data (for garbage chunks)."""
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    if done:
        lines.append("data: [DONE]\n\n")
    return httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content="".join(lines).encode()
    )


def stream_of(
    deltas: Sequence[str], *, finish_reason: str = "stop", usage: tuple[int, int] | None = (21, 3)
) -> httpx.Response:
    events: list[dict[str, Any] | str] = [chunk("")]  # role-only opening chunk, as OpenAI sends
    events += [chunk(d) for d in deltas]
    events.append(chunk(finish_reason=finish_reason))
    if usage is not None:
        events.append(chunk(usage=usage, choices=False))
    return sse(events)


class SleepRecorder:
    """Stands in for `asyncio.sleep` so retry waits are asserted, not endured."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
