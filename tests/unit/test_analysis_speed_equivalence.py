"""The faster analyzer paths give exactly the old results (issue #14).

- *Caches.* Values kept across calls (what a context vouches for and the
  buyer's words, by the context's exact content; short texts normalised once
  per process) never change a finding: labelled drafts (one in three, from
  every file), typing snapshots of them and random text give the same
  analysis with every cache emptied before the call (cold) as after other
  calls filled them (warm). The golden comparison of the whole dataset runs
  warm, one analysis after another.
- *The context table is keyed on content and bounded*: two context objects
  with the same content share an entry, any change of content is another
  entry, and it never holds more than its limit.
- *Rewritten hot spots* are compared with the code they replace: the anchors
  of a token (character trie, was a substring test per anchor), the budget
  words (one regex, was a test per token), the message's content stems (per
  written word), the pre-check in front of the defang pattern (never says
  "cannot match" where the pattern matches) and the sender's company as a
  subject (found from the name's occurrences, was a regex compiled per company).
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.analysis import _context_memo, analyze
from service.analysis._caches import clear_text_caches
from service.analysis._matcher import all_anchors
from service.analysis._normalize import _DEFANG, _may_be_defanged
from service.analysis._not_personalized import _word_stems, content_stems
from service.analysis._self_centered import _COMPANY_VERBS, company_spans
from service.analysis._text import _HAS_WORD, _TOKEN, fold, lower_same_length, prepare
from service.models import AnalyzeRequest, Context, Message
from tests._dataset import labelled_records

pytestmark = pytest.mark.unit


RECORDS = labelled_records()


def _request(record: dict[str, Any]) -> AnalyzeRequest:
    keys = ("draft", "context", "original")
    return AnalyzeRequest.model_validate({k: record[k] for k in keys if record.get(k) is not None})


def _cold(request: AnalyzeRequest, body: str | None = None) -> str:
    clear_text_caches()
    return _dump(request, body)


def _dump(request: AnalyzeRequest, body: str | None = None) -> str:
    draft = request.draft if body is None else request.draft.model_copy(update={"body": body})
    return analyze(draft, context=request.context, original=request.original).model_dump_json()


def _snapshots(body: str, typed: bool) -> list[str]:
    """What a typing user sends: the draft cut every few words (or the whole draft)."""
    words = body.split(" ")
    cuts = [" ".join(words[:n]) for n in range(3, len(words), 9)] if typed else []
    return [*cuts, body]


def test_dataset_and_typing_snapshots_cold_equals_warm() -> None:
    # One labelled draft in three (every file), and typing snapshots of one in eight.
    records = RECORDS[::3]
    cold = {}
    for i, record in enumerate(records):
        request = _request(record)
        cold[i] = [_cold(request, text) for text in _snapshots(request.draft.body, i % 8 == 0)]
    clear_text_caches()
    for i, record in enumerate(records):  # warm: each snapshot after the previous ones
        request = _request(record)
        warm = [_dump(request, text) for text in _snapshots(request.draft.body, i % 8 == 0)]
        assert warm == cold[i], i
    for i, record in enumerate(records[:100]):  # and again, every cache full
        assert _dump(_request(record)) == cold[i][-1]


def test_random_text_cold_equals_warm() -> None:
    rng = random.Random(14)
    words = " ".join(r["draft"]["body"] for r in RECORDS).split()
    alphabet = "abcdefghij ABCDE0123456789.,!?-'\"\n$%@/:[]()\u200b\u0430\ufb01é\u0130"
    cases = []
    for k in range(150):
        if k % 2:
            body = " ".join(rng.choice(words) for _ in range(rng.randint(1, 120)))
        else:
            body = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))
        record = RECORDS[rng.randrange(len(RECORDS))]
        request = AnalyzeRequest.model_validate(
            {
                "draft": {"body": body.strip() or "x", "channel": "email"},
                "context": record["context"],
            }
        )
        cases.append((request, _cold(request)))
    for request, expected in cases:
        assert _dump(request) == expected


def test_context_table_is_keyed_on_content_and_bounded() -> None:
    _context_memo.clear()
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    first = Context.model_validate({"goal": "cut stockouts", "history": {"days_since_reply": 3}})
    same = Context.model_validate({"goal": "cut stockouts", "history": {"days_since_reply": 3}})
    other = Context.model_validate({"goal": "cut stockouts", "history": {"days_since_reply": 4}})
    original = Message(body="Hi Dana", channel="email")
    assert _context_memo.by_context("t", first, None, compute) == 1
    assert _context_memo.by_context("t", same, None, compute) == 1  # equal content: kept
    assert _context_memo.by_context("t", other, None, compute) == 2
    assert _context_memo.by_context("t", first, original, compute) == 3
    assert _context_memo.by_context("u", first, None, compute) == 4  # another value
    for days in range(_context_memo.MAX_ENTRIES * 2):
        ctx = Context.model_validate({"history": {"days_since_reply": days}})
        _context_memo.by_context("t", ctx, None, compute)
    assert _context_memo.size() <= _context_memo.MAX_ENTRIES
    message = "x " * 9_000
    huge = Context.model_validate({"prospect_messages": [message] * 4})
    before = _context_memo.size()
    _context_memo.by_context("t", huge, None, compute)
    _context_memo.by_context("t", huge, None, compute)
    assert _context_memo.size() <= before  # too large to keep: computed each time
    _context_memo.clear()
    assert _context_memo.size() == 0


def _anchors_brute(token: str) -> frozenset[str]:
    return frozenset(a for a in _ALL_ANCHORS if a in token)


def _walk(node: dict[str, Any], out: list[str]) -> list[str]:
    for key, value in node.items():
        if key == "":
            out.append(value)
        else:
            _walk(value, out)
    return out


_ALL_ANCHORS = _walk(all_anchors()._trie, [])
_WORDS = sorted({w for r in RECORDS for w in r["draft"]["body"].lower().split()})


def test_token_anchors_match_a_substring_test_on_every_dataset_word() -> None:
    index = all_anchors()
    assert len(_ALL_ANCHORS) > 100
    for word in _WORDS:
        assert index._in_token(word) == _anchors_brute(word), word


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(_ALL_ANCHORS[:400]) | st.text(alphabet="abcdeilnorstu'-$1", max_size=6),
        max_size=6,
    )
)
def test_token_anchors_match_a_substring_test_on_random_tokens(parts: list[str]) -> None:
    token = "".join(parts)
    assert all_anchors()._in_token(token) == _anchors_brute(token)


_TEXT = st.text(
    alphabet=st.sampled_from(list(" \t\n\u00a0\u2003\x1c.,!-'$aZz09é\u0430\u0300\u0130[(hxdotpa")),
    max_size=80,
)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_budget_words_match_the_token_filter(text: str) -> None:
    doc = prepare(text)
    old_spans = [m.span() for m in _TOKEN.finditer(doc.norm) if _HAS_WORD.search(m.group())]
    assert doc.words == old_spans
    assert prepare(text).word_count() == sum(1 for t in doc.norm.split() if _HAS_WORD.search(t))


_WORD_CASED = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'-]*")


def _old_content_stems(text: str, names: frozenset[str]) -> frozenset[str]:
    out: set[str] = set()
    for m in _WORD_CASED.finditer(fold(text)):
        w = lower_same_length(m.group(0))
        if w in names and m.group(0)[:1].isupper():
            continue
        out.update(_word_stems(w))
    return frozenset(out)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(_WORDS[:3000]) | st.sampled_from(["Dana", "DANA", "Miles", "\n", "\r"]),
        max_size=30,
    ),
    st.sampled_from([frozenset(), frozenset({"dana", "miles"})]),
)
def test_content_stems_per_written_word_match_the_old_loop(
    words: list[str], names: frozenset[str]
) -> None:
    text = " ".join(words)
    assert content_stems(text, names) == _old_content_stems(text, names)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "hxxp",
                "hXXp",
                "://",
                "[.]",
                "(dot)",
                "{.}",
                " dot ",
                " DOT ",
                " . ",
                " hyphen ",
                " dash ",
                "[:]//",
                "[@]",
                "(at)",
            ]
        )
        | st.text(alphabet="acemoxlp.-_ \t\n@[](){}:/", max_size=8),
        max_size=8,
    )
)
def test_defang_precheck_never_hides_a_match(parts: list[str]) -> None:
    text = "".join(parts)
    if _DEFANG.search(text) is not None:
        assert _may_be_defanged(text)


def _company_regex(company: str) -> re.Pattern[str]:
    """The per-company regex that `company_spans` replaces (compiled once per company)."""
    name = re.escape(company)
    return re.compile(
        r"(?<![\w])(?:(?:at|here at) "
        + name
        + r",? we\b|"
        + name
        + r"(?![\w])\s*"
        + _COMPANY_VERBS
        + ")"
    )


_COMPANIES = ["acme", "at acme", "here", "a.b", "c++", "x", "we", "is", "acme inc.", "ünï", "(co)"]
_COMPANY_PIECES = [
    *("at ", "here at ", " is", " are", ",", ", we", " we ", "'s product is ", "'s team has "),
    *("\n", "  ", "a", "é", "_", "x", "acmes", "at acme we", "here at acme, we", "c++ helps"),
]


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(_COMPANIES),
    st.lists(st.sampled_from(_COMPANY_PIECES) | st.sampled_from(_COMPANIES), max_size=12),
)
def test_company_spans_match_the_per_company_regex(company: str, pieces: list[str]) -> None:
    text = "".join(pieces)
    expected = [m.span() for m in _company_regex(company).finditer(text)]
    assert company_spans(text, company) == expected
