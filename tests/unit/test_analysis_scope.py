"""Values a rule derives from the request's context and original are computed once per request.

`service.analysis._scope.derived` reuses a value inside one `request_scope()`
(entered by `analysis_scope()`), keyed by the context object and the
original's text. These tests check the key, the isolation between requests,
and that analyses inside a scope equal fresh ones where the derived values
matter (answers checked against another draft, in several languages).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from service.analysis import analyze, request_scope
from service.analysis._scope import MAX_ENTRIES, derived
from service.models import Context, Message

pytestmark = pytest.mark.unit

_DATASET = Path(__file__).resolve().parents[2] / "evals" / "analyzer"


class _Count:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_a_value_is_computed_once_per_context_and_original_in_a_scope() -> None:
    count = _Count()
    context = Context.model_validate({"prospect": {"name": "Dana"}})
    same_fields = Context.model_validate({"prospect": {"name": "Dana"}})
    original = Message(body="Hi Dana, the guide is attached.")
    with request_scope():
        first = derived("x", context, original, count)
        assert derived("x", context, Message(body=original.body), count) == first
        derived("y", context, original, count)  # another name
        derived("x", same_fields, original, count)  # another object: not trusted
        derived("x", context, Message(body="Other text."), count)
        derived("x", context, Message(body=original.body, channel="sms"), count)
        derived("x", None, original, count)
    assert count.calls == 6


def test_outside_a_scope_and_across_scopes_nothing_is_kept() -> None:
    count = _Count()
    original = Message(body="Hi.")
    derived("x", None, original, count)
    derived("x", None, original, count)
    with request_scope():
        derived("x", None, original, count)
    with request_scope():
        derived("x", None, original, count)
    assert count.calls == 4


async def test_concurrent_requests_do_not_share_values() -> None:
    count = _Count()

    async def request() -> None:
        with request_scope():
            derived("x", None, None, count)
            await asyncio.sleep(0)
            derived("x", None, None, count)

    await asyncio.gather(request(), request(), request())
    assert count.calls == 3


def test_the_scope_is_bounded() -> None:
    count = _Count()
    with request_scope():
        for i in range(MAX_ENTRIES + 5):
            derived("x", None, Message(body=f"Note {i}."), count)
        derived("x", None, Message(body="Note 0."), count)  # stored: reused
        derived("x", None, Message(body=f"Note {MAX_ENTRIES + 2}."), count)  # over the bound
    assert count.calls == MAX_ENTRIES + 6


def _cases() -> list[dict[str, Any]]:
    out = []
    for path in sorted(_DATASET.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and isinstance((case := json.loads(line)).get("draft"), dict):
                out.append(case)
    return out


def test_analyses_in_a_scope_equal_fresh_ones_on_the_dataset() -> None:
    # Each draft is checked as an answer to another draft, with that draft's context:
    # the trusted text, its words and scripts come from the scope after the first call.
    cases = _cases()
    assert len(cases) > 1000
    languages = 0
    for i, case in enumerate(cases):
        original = Message.model_validate(case["draft"])
        context = Context.model_validate(case["context"]) if case.get("context") else None
        other = Message.model_validate(cases[(i * 7 + 3) % len(cases)]["draft"])
        answer = other.model_copy(update={"channel": original.channel, "subject": None})
        fresh = analyze(answer, context=context, original=original)
        itself = analyze(original, context=context, original=original)
        languages += "wrong_language" in fresh.rules()
        with request_scope():
            for _ in range(2):
                assert analyze(answer, context=context, original=original) == fresh
                assert analyze(original, context=context, original=original) == itself
    assert languages > 5  # the rule that reads the scope does fire on this data
