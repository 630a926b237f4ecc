"""CPU-bound work kept off the event loop when it is large.

Analysis is linear in its input (docs/analyzer.md, "Bounded work"), so a
typical draft costs about a millisecond and runs inline: a thread hop would
cost more than it saves. A request whose text is large (up to the 20,000
character body limit plus context) is handed to a worker thread under a small
capacity limit instead. The interpreter switches threads every few
milliseconds, so the event loop keeps answering health checks while it runs,
and at most `MAX_THREADS` such jobs run at once (the rest wait their turn
without blocking the loop).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from service.models import Context, Message

T = TypeVar("T")

# Characters of text below which work runs inline (about 1 ms of analysis).
INLINE_CHARS = 4_000
MAX_THREADS = 2

_limiter: anyio.CapacityLimiter | None = None


def _capacity() -> anyio.CapacityLimiter:
    global _limiter  # created lazily: a CapacityLimiter binds to the running loop's backend
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(MAX_THREADS)
    return _limiter


async def run_cpu_bound(fn: Callable[[], T], *, size: int) -> T:
    """Run `fn` inline when `size` (characters of input) is small, else in a bounded thread.

    Args:
        fn: The work, with its arguments bound.
        size: How many characters of text the work reads.

    Returns:
        What `fn` returns.
    """
    if size <= INLINE_CHARS:
        return fn()
    return await anyio.to_thread.run_sync(fn, limiter=_capacity())


def text_size(
    draft: Message, context: Context | None = None, original: Message | None = None
) -> int:
    """Characters of free text an analysis of `draft` reads (body, original, long context fields).

    Args:
        draft: The message analyzed.
        context: Its context, if any.
        original: The draft a rewrite came from, if any.

    Returns:
        The total length of the long text fields.
    """
    size = len(draft.body) + (len(original.body) if original is not None else 0)
    if context is not None:
        size += len(context.notes or "") + sum(len(m) for m in context.prospect_messages)
    return size
