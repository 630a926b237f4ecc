"""The faster fact extraction finds exactly what the old one found (issue #14).

The reference (_fact_extract_before.py) is the code before the change: every
regex pass over the whole text, without the look-aheads lead() puts in front
of the long word alternations, the gates before a pass, the keys computed once
per kind and text, or the addresses and links shared between the message's
budget and its scan. Both run on the labelled dataset (drafts, contexts and
originals), the adversarial bench cases and random text, and must agree on
every fact (kind, span, keys), on where the checks stop, and on every key a
supporting text vouches for.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench._adversarial import cases, field_cases, run_cases
from service.analysis import _bounds
from service.analysis import _fact_extract as fe
from service.analysis._fact_keys import CALENDAR, CODE, CODE_HINT, vocab
from service.analysis._text import lower_same_length, prepare
from tests._dataset import labelled_records
from tests.unit import _fact_extract_before as before

pytestmark = pytest.mark.unit


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _texts() -> list[str]:
    found = [s for record in labelled_records() for s in _strings(record) if s.strip()]
    for _, _, request in cases(size=3000, phrases=20) + run_cases(3000) + field_cases(3000):
        found.extend(s for s in _strings(json.loads(json.dumps(request))) if s.strip())
    return sorted(set(found))


TEXTS = _texts()
# Characters the fact patterns care about: digits, signs, separators, capitals,
# combining marks and the first letters of number, month and weekday names.
_ALPHABET = st.sampled_from(
    [
        *"0123456789$€£%+()-_./:@ \n<>[]{}'éÉ\u0301AQDMT",
        *("three", "twenty", "one", "out of", "ten", "q3", "noon", "march", "may ", "monday"),
        *("quarter", "third", "jan", "14th", "of", "k", "weeks", "call ", "http://", "www."),
        *(".com", "dana@x.io", "a dozen", "half a dozen", "pm", "Dana ", "Sarah from ", "3/14"),
        "2024",
    ]
)
_RANDOM = st.lists(_ALPHABET, max_size=60).map("".join)


def _same_extract(text: str) -> None:
    doc = prepare(text)
    facts = fe.extract(doc)
    assert (facts, fe.unchecked_from(doc)) == before.extract(prepare(text)), text


def _same_support(text: str) -> None:
    assert fe.support_keys.__wrapped__(text) == before.support_keys(text), text


def test_message_facts_match_the_old_extraction() -> None:
    for text in TEXTS:
        _same_extract(text)


def test_support_keys_match_the_old_ones() -> None:
    for text in TEXTS:
        _same_support(text)


@settings(max_examples=400, deadline=None)
@given(_RANDOM)
def test_random_text_same_facts_and_keys(text: str) -> None:
    _same_extract(text)
    _same_support(text)


def test_long_texts_past_the_budgets() -> None:
    """Cut messages (the budget's addresses and links reused before the cut)."""
    units = ["call 07700 900123 or dana@x.io, https://x.io/a. ", "Dana 5 ", "a.b@c.de ", "x 1 "]
    for unit in units:
        for length in (2_000, 9_000):
            text = (unit * (length // len(unit) + 1))[:length]
            _same_extract(text)
            _same_support(text)


@settings(max_examples=300, deadline=None)
@given(_RANDOM, st.integers(min_value=0, max_value=200))
def test_contacts_before_a_space_are_the_whole_texts(text: str, at: int) -> None:
    low = lower_same_length(text + " " + text)
    cut = min(at, len(low) - 1)
    if low[cut] not in " \n":
        cut = len(text)  # the space between the copies
    emails, urls = _bounds.contacts(low)
    shared = fe._contacts_before(cut, (emails, urls), low, low)
    assert shared == _bounds.contacts(low[:cut])


@settings(max_examples=300, deadline=None)
@given(_RANDOM)
def test_patterns_with_a_lead_match_as_without(text: str) -> None:
    v = vocab()
    low = lower_same_length(text)
    pairs = [
        (v.fact_re, before.without_lead(v.fact_re), " " + low),
        (v.corpus_numbers_re, before.without_lead(v.corpus_numbers_re), low),
        (CALENDAR, before.CALENDAR, low),
        (fe._DAY_MONTH, before.DAY_MONTH, low),
        (_bounds._FACT_START, before.FACT_START, text),
    ]
    for new, old, subject in pairs:
        assert [(m.span(), m.groups()) for m in new.finditer(subject)] == [
            (m.span(), m.groups()) for m in old.finditer(subject)
        ]
    assert CODE_HINT.search(low) or not CODE.search(low)


def test_the_leads_are_in_place() -> None:
    """The patterns above do carry a look-ahead (the comparison is not vacuous)."""
    v = vocab()
    for pattern in (v.fact_re, v.corpus_numbers_re, CALENDAR, fe._DAY_MONTH):
        assert re.search(r"^(?:\\W|\\b)\(\?=", pattern.pattern), pattern.pattern[:40]
