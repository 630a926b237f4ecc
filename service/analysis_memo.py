"""Analyze each distinct message once per request: a memo scoped to one request.

A rewrite analyzes the same texts several times: the editor re-checks its
draft, the guard checks an answer when it is attempted and again before it
is released, and each check reads the subject as a message of its own.
`analyze()` is a pure function of (message, context, original, budget), so
inside `analysis_scope()` a repeat of the same call returns the result of the
first one.

The scope is a context variable set by the pipeline for one request (and
copied into the worker threads it offloads to): nothing is shared between
requests, so every request still pays for its own first analysis of every
text, and a memo can never answer one caller with another's result. Outside
a scope, `analyze` here is exactly `service.analysis.analyze`.

Results are shared between the calls of one request and must not be mutated
(no caller does; tests/unit/test_analysis_memo.py checks the results are
identical to fresh ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from service.analysis import analyze as _analyze
from service.analysis import request_scope
from service.budget import LengthBudget
from service.models import Analysis, Context, Message

# (key) -> (context object, result): the context is compared by identity and kept
# alive by the entry, so an id() can never be reused for another context.
_Memo = dict[tuple[Any, ...], tuple[Context | None, Analysis]]
_SCOPE: ContextVar[_Memo | None] = ContextVar("tactful_analysis_scope", default=None)
MAX_ENTRIES = 64  # a request analyzes a handful of texts; bounded all the same


@contextmanager
def analysis_scope() -> Iterator[None]:
    """Within this block (one request), identical analyze() calls are computed once."""
    token = _SCOPE.set({})
    try:
        with request_scope():  # and what rules derive from the context, once (analysis/_scope.py)
            yield
    finally:
        _SCOPE.reset(token)


def _message_key(message: Message | None) -> tuple[Any, ...] | None:
    return None if message is None else (message.channel, message.subject, message.body)


def analyze(
    draft: Message,
    *,
    context: Context | None = None,
    original: Message | None = None,
    budget: LengthBudget | None = None,
) -> Analysis:
    """`service.analysis.analyze`, answered from the request's memo when it is a repeat."""
    memo = _SCOPE.get()
    if memo is None:
        return _analyze(draft, context=context, original=original, budget=budget)
    key = (_message_key(draft), id(context), _message_key(original), budget)
    entry = memo.get(key)
    if entry is not None and entry[0] is context:
        return entry[1]
    result = _analyze(draft, context=context, original=original, budget=budget)
    if len(memo) < MAX_ENTRIES:
        memo[key] = (context, result)
    return result
