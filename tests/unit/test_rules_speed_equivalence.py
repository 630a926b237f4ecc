"""The message-level rules' faster pieces give the old results (issue #10 item 3, issue #14).

Each piece rewritten for speed is compared with the code it replaced, kept
here as the reference, on the labelled dataset's drafts and on random text
built to hit the edge cases (repeated words, several scripts, curly
apostrophes, letters that change length when case-folded, ties):

- wrong_language: a text's words (ASCII lower-cased whole), a sentence's
  foreign script (counted per distinct letter, ties broken as before) and the
  language count (lookups only for listed words);
- not_personalized: content stems per distinct word, and the message's stems
  read from its folded and lowered forms;
- self_centered: the shared-"we" pattern run only when the count could fire;
- no_next_step: a sentence's words counted up to the limit;
- too_long: the first word past the budget found without every word's span.
"""

from __future__ import annotations

from bisect import bisect_left

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.analysis import (
    _language,
    _no_next_step,
    _not_personalized,
    _self_centered,
    _too_long,
)
from service.analysis._metrics import YOU_WORDS
from service.analysis._normalize import normalise
from service.analysis._patterns import lexicon_findings, make_finding
from service.analysis._text import Doc, fold, prepare
from service.budget import LengthBudget
from service.models import Finding
from tests._dataset import labelled_records

pytestmark = pytest.mark.unit

_BODIES = sorted(
    {
        r["draft"]["body"]
        for r in labelled_records()
        if isinstance(r.get("draft"), dict) and r["draft"].get("body")
    }
)

_PIECES = [
    "we",
    "We",
    "our",
    "you",
    "your",
    " ",
    "  ",
    ". ",
    "? ",
    "!\n",
    "\n",
    ", ",
    "-",
    "'",
    "\u2019",
    "the",
    "la",
    "el",
    "und",
    "der",
    "est",
    "when we spoke",
    "our last call",
    "Acme",
    "stores",
    "hiring",
    "\u00c9t\u00e9",
    "\u0130stanbul",
    "stra\u00dfe",
    "\u03a3\u039f\u03a3",
    "\u041f\u0440\u0438\u0432\u0435\u0442",
    "\u6771\u4eac",
    "\u0395\u03bb\u03bb\u03ac",
    "\u00bd",
    "e\u0301",
    "A",
    "Best, Chris",
    "over the line",
    "1",
]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)


def _doc(text: str) -> Doc:
    return prepare(normalise(text).text)


# ------------------------------------------------------------------ wrong_language


def _old_words(text: str) -> list[str]:
    return [w.casefold().replace("\u2019", "'") for w in _language._WORD.findall(text)]


def _old_foreign_script(sentence: str, allowed: frozenset[str]) -> str | None:
    lists = _language._lists()
    if sentence.isascii():
        return None
    letters = [ch for ch in sentence if ch.isalpha()]
    scripts = (_language._script(ch) for ch in letters if not ch.isascii())
    foreign = [s for s in scripts if s not in allowed]
    if len(foreign) >= lists.min_script_letters and len(foreign) >= lists.min_script_share * len(
        letters
    ):
        return max(set(foreign), key=foreign.count)
    return None


def _old_language(words: list[str], share: float) -> str | None:
    lists = _language._lists()
    if not words:
        return None
    english = sum(w in lists.english for w in words)
    counts = [0] * len(lists.others)
    for word in words:
        for i in lists.index.get(word, ()):
            counts[i] += 1
    best, hits = None, 0
    for lang, n in zip(lists.others, counts, strict=True):
        if n > hits:
            best, hits = lang, n
    if best is None:
        return None
    clear = hits >= lists.min_hits and hits > english and hits >= share * len(words)
    strong = hits >= lists.strong_hits and hits >= lists.strong_ratio * english
    return best if clear or strong else None


_ALLOWED = [
    frozenset({"LATIN"}),
    frozenset({"LATIN", "GREEK"}),
    frozenset({"LATIN", "CYRILLIC", "CJK"}),
]


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_wrong_language_pieces_match_the_old_ones(text: str) -> None:
    lists = _language._lists()
    assert _language._words(text) == _old_words(text)
    for allowed in _ALLOWED:
        assert _language._foreign_script(text, allowed, lists) == _old_foreign_script(text, allowed)
    words = _old_words(text)
    for share in (lists.min_share, lists.min_share / 2):
        assert _language._language(words, lists, share=share) == _old_language(words, share)


def test_a_tie_between_scripts_is_broken_as_before() -> None:
    lists = _language._lists()
    for text in (
        "\u0395\u03bb\u03bb\u03ac\u041f\u0440\u0438\u0432",
        "\u041f\u0440\u0438\u0432\u0395\u03bb\u03bb\u03ac",
    ):
        expected = _old_foreign_script(text, frozenset({"LATIN"}))
        assert _language._foreign_script(text, frozenset({"LATIN"}), lists) == expected


def test_wrong_language_pieces_match_the_old_ones_on_the_dataset() -> None:
    lists = _language._lists()
    for body in _BODIES:
        text = normalise(body).text
        assert _language._words(text) == _old_words(text)
        assert _language._foreign_script(text, _ALLOWED[0], lists) == _old_foreign_script(
            text, _ALLOWED[0]
        )


# ---------------------------------------------------------------- not_personalized


def _old_stems(folded: str, names: frozenset[str]) -> frozenset[str]:
    out: set[str] = set()
    for word in _not_personalized._WORD_CASED.findall(folded):
        out.update(_not_personalized._cased_word_stems(word, names))
    return frozenset(out)


_NAMES = frozenset({"acme", "dana"})


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_message_stems_match_the_old_reading(text: str) -> None:
    doc = _doc(text)
    folded = fold(doc.raw)
    assert _not_personalized._stems(folded, _NAMES) == _old_stems(folded, _NAMES)
    old = _not_personalized.content_stems(_not_personalized._without_idioms(doc.raw), _NAMES)
    assert _not_personalized._message_stems(doc, [], _NAMES) == old


def test_message_stems_match_the_old_reading_on_the_dataset() -> None:
    for body in _BODIES:
        doc = _doc(body)
        old = _not_personalized.content_stems(_not_personalized._without_idioms(doc.raw), _NAMES)
        assert _not_personalized._message_stems(doc, [], _NAMES) == old


# ------------------------------------------------------------------- self_centered


def _old_self_centered(doc: Doc) -> list[Finding]:
    """find_self_centered without a context, as it was (shared "we" always counted)."""
    lex = _self_centered.lexicons()["self_centered"]
    found = lexicon_findings(lex, doc)
    limits = lex.file.limits
    words = doc.word_texts()
    you = sum(1 for w in words if w in YOU_WORDS)
    shared = len(_self_centered._SHARED_WE.findall(doc.norm))
    we = max(0, sum(1 for w in words if w in _self_centered._WE_WORDS) - shared)
    if we >= limits["min_self_words"] and you < we * limits["max_you_per_self"]:
        start, end = _self_centered._most_self_centered_sentence(doc)
        if not any(f.start < end and start < f.end for f in found):
            message = f"{we} we/our/company mentions against {you} you/your: make it about them."
            found.append(make_finding(lex, doc, start, end, message))
    return found


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_self_centered_counts_as_before(text: str) -> None:
    doc = _doc(text)
    if doc.sentences:
        assert _self_centered.find_self_centered(doc) == _old_self_centered(doc)


# ----------------------------------------------------------- no_next_step, too_long


def _old_last_content_sentence(doc: Doc) -> tuple[int, int]:
    word_starts = [s for s, _ in doc.words]
    for start, end in reversed(doc.sentences):
        n_words = bisect_left(word_starts, end) - bisect_left(word_starts, start)
        if n_words > _no_next_step._SIGN_OFF_MAX_WORDS:
            return start, end
    return doc.sentences[-1]


def _check_word_counts(text: str) -> None:
    doc = _doc(text)
    if doc.sentences:
        expected = _old_last_content_sentence(doc)
        assert _no_next_step._last_content_sentence(doc) == expected
    for max_words in (0, 1, 3, 10):
        found = _too_long.find_too_long(doc, LengthBudget(max_words=max_words, max_chars=None))
        if doc.word_count() > max_words:
            cut = doc.words[max_words][0]
            assert found[0].start == (0 if cut >= len(doc.raw.rstrip()) else cut)
        else:
            assert found == []


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_words_are_counted_as_before(text: str) -> None:
    _check_word_counts(text)


def test_words_are_counted_as_before_on_the_dataset() -> None:
    for body in _BODIES:
        _check_word_counts(body)
