"""Values derived from one request's context, computed once per request.

Within one rewrite, every analysis reads the same context and the same
original draft: the draft, each answer and each subject are checked against
them. What a rule derives from those two alone (the trusted text and its
words, for instance) is the same on every call, so inside `request_scope()`
it is computed on the first call and reused by the next ones.

Entries are keyed by the identity of the context object (kept alive by the
entry, so an id can never be reused for another context while the scope
lives) and the original's text. The scope is a context variable entered by
`service.analysis_memo.analysis_scope()` for one request: nothing is shared
between requests. Outside a scope, `derived()` simply computes the value.
Callers must not mutate what they get back (frozen values only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from service.models import Context, Message

T = TypeVar("T")
_Entries = dict[tuple[Any, ...], tuple[Context | None, Any]]
_SCOPE: ContextVar[_Entries | None] = ContextVar("tactful_analysis_derived", default=None)
MAX_ENTRIES = 32  # a request has one context and one original; bounded all the same


@contextmanager
def request_scope() -> Iterator[None]:
    """Within this block (one request), `derived()` computes each value once."""
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def derived(
    name: str,
    context: Context | None,
    original: Message | None,
    compute: Callable[[], T],
) -> T:
    """`compute()`, reused for the same (name, context object, original text) in this scope."""
    entries = _SCOPE.get()
    if entries is None:
        return compute()
    text = None if original is None else (original.channel, original.subject, original.body)
    key = (name, id(context), text)
    entry = entries.get(key)
    if entry is not None and entry[0] is context:
        value: T = entry[1]
        return value
    value = compute()
    if len(entries) < MAX_ENTRIES:
        entries[key] = (context, value)
    return value
