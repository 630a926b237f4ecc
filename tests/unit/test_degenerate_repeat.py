"""The repetition check finds runs of equal word pairs in C: same findings as the full loop.

`_repeated` marks, for each period, where a word equals the word `period`
later (`_unequal_flags`, one big-integer XOR per period) and looks for the
first run of enough equal pairs with `bytes.find`. The reference below is the
per-word loop over every period it replaced; both must agree on random text
made of few words (so repeats are common) and on the dataset.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.analysis import _degenerate as degenerate
from service.analysis._normalize import normalise
from service.analysis._text import prepare
from service.models import Finding

pytestmark = pytest.mark.unit

_DATASET = Path(__file__).resolve().parents[2] / "evals" / "analyzer"


def _reference(text: str) -> list[Finding]:
    """The loop as it was: every period tried, pair by pair."""
    doc = prepare(normalise(text).text)
    lex = degenerate._lexicon()
    words = list(degenerate._WORD.finditer(doc.norm))
    tokens = [m.group(0) for m in words]
    times, min_words = degenerate._limit("repeat_times"), degenerate._limit("repeat_words")
    for period in range(1, degenerate._MAX_PERIOD + 1):
        run = 0
        for i in range(len(tokens) - period):
            if tokens[i] == tokens[i + period]:
                run += 1
                covered = run + period
                if covered >= period * times and covered >= min_words:
                    first = i + period - covered + 1
                    start, end = words[first].start(), words[i + period].end()
                    msg = "The same words repeat over and over; this is not a message yet."
                    return [degenerate.make_finding(lex, doc, start, end, msg)]
            else:
                run = 0
    return [f for f in degenerate._repeated(doc, lex) if f.message.startswith("The same sentence")]


def _ours(text: str) -> list[Finding]:
    doc = prepare(normalise(text).text)
    return degenerate._repeated(doc, degenerate._lexicon())


def _direct_flags(tokens: list[str], period: int) -> list[bool]:
    return [a != b for a, b in zip(tokens, tokens[period:], strict=False)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 400), max_size=300))
def test_unequal_flags_mark_every_period(codes: list[int]) -> None:
    tokens = [f"w{c % 7 if c < 200 else c}" for c in codes]
    unequal = degenerate._unequal_flags(tokens)
    for period in range(1, min(degenerate._MAX_PERIOD, len(tokens) - 1) + 1):
        assert [b != 0 for b in unequal(period)] == _direct_flags(tokens, period)


def test_unequal_flags_past_65535_words() -> None:
    """Past 65,535 words the numbers take eight bytes each; the flags are the same."""
    tokens = [f"w{i % 300 if i % 7 else i}" for i in range(70_000)]
    unequal = degenerate._unequal_flags(tokens)
    for period in (1, 7, 12):
        assert [b != 0 for b in unequal(period)] == _direct_flags(tokens, period)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["buy", "now", "the", "deal", "please", "ok.", "sign"]), max_size=80)
)
def test_same_findings_as_the_full_loop_on_repetitive_text(words: list[str]) -> None:
    text = " ".join(words)
    assert _ours(text) == _reference(text)


def test_same_findings_as_the_full_loop_on_the_dataset() -> None:
    bodies = [
        json.loads(line)["draft"]["body"]
        for path in sorted(_DATASET.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and isinstance(json.loads(line).get("draft"), dict)
    ]
    assert len(bodies) > 1000
    fired = 0
    for body in bodies:
        found = _ours(body)
        assert found == _reference(body)
        fired += bool(found)
    assert fired > 0
