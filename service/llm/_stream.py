"""Accumulate a streamed chat completion into the pieces of a `ModelAnswer`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from openai.types.chat import ChatCompletionChunk

from service.llm._port import ChatMessage
from service.models import Usage

# Rough English average; only used when a server streams without usage.
CHARS_PER_TOKEN = 4


@dataclass(slots=True)
class StreamState:
    """What has arrived so far; `feed` returns the new text of one chunk."""

    parts: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    model: str | None = None
    usage: Usage | None = None
    ended: bool = False
    deltas: int = 0  # most servers send one token per delta: our best count without usage

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def feed(self, chunk: ChatCompletionChunk) -> str:
        if isinstance(chunk.model, str) and chunk.model:
            self.model = chunk.model
        if getattr(chunk, "usage", None) is not None:
            self.usage = usage_from(chunk.usage)
        choices: object = chunk.choices
        if not isinstance(choices, list) or not choices:
            return ""  # the usage-only chunk at the end, or a keep-alive
        choice = choices[0]
        finish = getattr(choice, "finish_reason", None)
        if finish:
            self.finish_reason = str(finish)
        content = getattr(getattr(choice, "delta", None), "content", None)
        if isinstance(content, str) and content:
            self.parts.append(content)
            self.deltas += 1
            return content
        return ""


def estimate_usage(
    messages: Sequence[ChatMessage], completion: str, *, completion_tokens: int | None = None
) -> Usage:
    """A guess for servers that report no usage; better than zero for budgets and dashboards.

    Prompt tokens are estimated from characters; completion tokens too, unless
    the caller counted them (e.g. streamed deltas).
    """

    def tokens(text: str) -> int:
        return -(-len(text) // CHARS_PER_TOKEN)  # ceiling division

    prompt = sum(tokens(m["content"]) for m in messages)
    done = tokens(completion) if completion_tokens is None else completion_tokens
    return Usage(prompt_tokens=prompt, completion_tokens=done, total_tokens=prompt + done)


def usage_from(raw: object) -> Usage:
    """Token counts from an SDK usage object; zeros when absent or odd-shaped."""
    if raw is None:
        return Usage()
    counts = {
        key: value if isinstance(value := getattr(raw, key, 0), int) and value >= 0 else 0
        for key in ("prompt_tokens", "completion_tokens", "total_tokens")
    }
    if not counts["total_tokens"]:
        counts["total_tokens"] = counts["prompt_tokens"] + counts["completion_tokens"]
    return Usage(**counts)
