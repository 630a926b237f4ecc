"""What rules derive from a context (and an original) alone, kept across calls by content.

A salesperson typing sends the same context with every snapshot of the draft,
and the rewrite path checks several texts against one context: what a rule
derives from the context alone (the keys it vouches for, the buyer's content
words) is then the same on every call. `by_context` keeps such values in a
small process-wide table keyed on the exact content of the context (its JSON)
and of the original, so a repeat is a lookup and never a stale answer: a
different context is a different key, whatever object carries it.

Bounded: at most `MAX_ENTRIES` values (oldest dropped first), and a context
or original larger than `MAX_KEY_CHARS` is not kept at all (computed every
time, as before). Values must be immutable (frozensets, tuples, strings).
`clear()` empties the table (tests and the bench's cold numbers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from service.models import Context, Message

T = TypeVar("T")
MAX_ENTRIES = 256
MAX_KEY_CHARS = 64_000

_table: dict[tuple[Any, ...], Any] = {}
_lock = threading.Lock()


def content_key(context: Context | None, original: Message | None) -> tuple[Any, ...] | None:
    """The exact content of (context, original), or None when too large to keep."""
    ctx = None if context is None else context.model_dump_json()
    orig = None if original is None else (original.channel, original.subject, original.body)
    size = (len(ctx) if ctx else 0) + (len(original.body) if original is not None else 0)
    if size > MAX_KEY_CHARS:
        return None
    return (ctx, orig)


def by_context(
    name: str, context: Context | None, original: Message | None, compute: Callable[[], T]
) -> T:
    """`compute()`, a pure function of (context, original), kept for their exact content."""
    content = content_key(context, original)
    if content is None:
        return compute()
    key = (name, content)
    found = _table.get(key, _MISSING)
    if found is not _MISSING:
        value: T = found
        return value
    value = compute()
    with _lock:
        while len(_table) >= MAX_ENTRIES:
            _table.pop(next(iter(_table)))
        _table[key] = value
    return value


def clear() -> None:
    with _lock:
        _table.clear()


def size() -> int:
    return len(_table)


_MISSING = object()
