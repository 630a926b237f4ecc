"""The request-scoped analysis memo returns exactly what a fresh analysis returns.

`service.analysis_memo.analyze` answers a repeated call inside one request's
`analysis_scope()` from the first call. These tests prove the memo is
invisible: on the whole labelled dataset (and with the subject, original and
budget varied) the answer equals a fresh `service.analysis.analyze`; a
different context, original, budget or subject is a different entry; and
nothing is shared outside a scope or between concurrent requests.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import service.analysis_memo as memo_mod
from service.analysis import analyze as fresh
from service.analysis_memo import analysis_scope, analyze
from service.budget import LengthBudget
from service.models import Analysis, Context, Message
from tests._dataset import labelled_records

pytestmark = pytest.mark.unit


def _cases() -> list[dict[str, Any]]:
    return [case for case in labelled_records() if isinstance(case.get("draft"), dict)]


class _Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, draft: Message, **kwargs: Any) -> Analysis:
        self.calls += 1
        return fresh(draft, **kwargs)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> _Counting:
    counter = _Counting()
    monkeypatch.setattr(memo_mod, "_analyze", counter)
    return counter


def test_the_memo_gives_fresh_results_on_the_whole_dataset() -> None:
    cases = _cases()
    assert len(cases) > 1000
    tight = LengthBudget(max_words=40, max_chars=300)
    for case in cases:
        draft = Message.model_validate(case["draft"])
        context = Context.model_validate(case["context"]) if case.get("context") else None
        original = Message(channel=draft.channel, body="Hi, just checking in on the 3 stores?")
        with analysis_scope():
            for _ in range(2):  # the second round is answered by the memo
                assert analyze(draft, context=context) == fresh(draft, context=context)
                assert analyze(draft, context=context, original=original, budget=tight) == fresh(
                    draft, context=context, original=original, budget=tight
                )


def test_a_repeat_inside_a_scope_is_computed_once(counting: _Counting) -> None:
    draft = Message(body="Just checking in, any update?? Sign by Friday for 20% off.")
    context = Context.model_validate({"prospect": {"name": "Dana"}})
    with analysis_scope():
        first = analyze(draft, context=context)
        again = analyze(draft, context=context)
    assert counting.calls == 1
    assert again is first


def test_every_input_is_part_of_the_key(counting: _Counting) -> None:
    body = "Just checking in, any update?? Sign by Friday for 20% off."
    context = Context.model_validate({"prospect": {"name": "Dana"}})
    same_fields = Context.model_validate({"prospect": {"name": "Dana"}})
    with analysis_scope():
        analyze(Message(body=body), context=context)
        analyze(Message(body=body, subject="Hello"), context=context)
        analyze(Message(body=body, channel="sms"), context=context)
        analyze(Message(body=body + " "), context=context)
        analyze(Message(body=body), context=same_fields)  # another object: not trusted
        analyze(Message(body=body), context=None)
        analyze(Message(body=body), context=context, original=Message(body="Hi"))
        analyze(Message(body=body), context=context, budget=LengthBudget(5, None))
    assert counting.calls == 8


def test_outside_a_scope_nothing_is_remembered(counting: _Counting) -> None:
    draft = Message(body="Circling back on this.")
    analyze(draft)
    analyze(draft)
    with analysis_scope():
        analyze(draft)
    with analysis_scope():  # a new request starts empty
        analyze(draft)
    assert counting.calls == 4


async def test_concurrent_requests_do_not_share_a_memo(counting: _Counting) -> None:
    draft = Message(body="Circling back on this.")

    async def request() -> None:
        with analysis_scope():
            analyze(draft)
            await asyncio.sleep(0)
            analyze(draft)

    await asyncio.gather(request(), request(), request())
    assert counting.calls == 3


def test_the_memo_is_bounded(counting: _Counting) -> None:
    with analysis_scope():
        for i in range(memo_mod.MAX_ENTRIES + 10):
            analyze(Message(body=f"Note {i}."))
        analyze(Message(body=f"Note {memo_mod.MAX_ENTRIES + 5}."))  # not stored: over the bound
        analyze(Message(body="Note 0."))  # stored: answered
    assert counting.calls == memo_mod.MAX_ENTRIES + 11
