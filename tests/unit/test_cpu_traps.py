"""Patterns rewritten because the regex engine re-read long runs (quadratic CPU), and their answers.

Found by timing every module-level pattern of `service/` on 20 KB runs of
adversarial units (bench/README.md, finding 16): the analyzer's hyphen-chain gate
(8 s on 20,000 "-" and a link), the notes' clause break (0.4 s on a run of
spaces), and the editor's item finders (e-mail, link and price: up to 13 s on
"a.a.a..." + " x.com"), verb test and "X said" finder, on the default rewrite
path. Each replacement is checked here against the plain pattern it replaced on
structured random text; that the work is now linear is checked by counting the
characters each pattern is handed in test_analysis_bounded.py and measured by
the bench's worst-case row.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.analysis._addresses import _HYPHEN_CHAIN
from service.analysis._provenance import _CLAUSE_BREAK
from service.editor._cuts import _HAS_VERB, _LEANS_BACK
from service.editor._items import _EMAIL, _LINK, _MONEY, _emails, _links, _money
from service.editor._notes import _SAID
from service.editor._tidy import tidy
from service.evals import _checks, _judge
from service.guard import _SNAKE
from service.prompting._answer import _ARROW

pytestmark = pytest.mark.unit

_OLD_HYPHEN_CHAIN = re.compile(r"(?:-+[a-z0-9]+){16}")
_OLD_CLAUSE_BREAK = re.compile(r";\s*|\s+-\s+")
_OLD_HAS_VERB = re.compile(_HAS_VERB.pattern.replace(r"|\b\w+(?:['", r"|\w+(?:['"), re.IGNORECASE)
_OLD_SAID = re.compile(
    r"\b(?P<who>[A-Z][\w'-]+|[Ss]he|[Hh]e|[Tt]hey)\s+(?:said|mentioned|told (?:me|us)|explained"
    r"|noted|shared|pointed out)\s+(?:that\s+)?(?P<what>[^.!?\n;]{12,160})"
)


def _texts(units: list[str], max_size: int = 40) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(units), max_size=max_size).map("".join)


_ADDRESS_UNITS = [
    "a", "A", "b", "1", "0", "-", ".", "..", "_", "+", "@", "@b", " ", "\n", ",", "x.com",
    ".com", ".io", "co", "www.", "http://", "https://", "/", "?", "é", "K", "$", "\u00a3",
    "\u20ac", "usd", " usd", "k", "m", "bn", "5", ",000", ".5", "%", "(", ")", "'", '"',
]  # fmt: skip


def test_the_old_patterns_are_the_ones_replaced() -> None:
    assert _OLD_HAS_VERB.pattern != _HAS_VERB.pattern
    assert _OLD_SAID.pattern != _SAID.pattern


@settings(max_examples=400, deadline=None)
@given(_texts(["-", "--", "a", "1", "b-", "-a", ".", " ", "A"], 80))
def test_the_hyphen_chain_gate_answers_as_before(text: str) -> None:
    assert bool(_HYPHEN_CHAIN.search(text)) == bool(_OLD_HYPHEN_CHAIN.search(text))


@settings(max_examples=400, deadline=None)
@given(_texts([" ", "  ", "\n", "\t", "-", ";", "a", "b c", ", ", "--"]))
def test_notes_clauses_break_as_before(text: str) -> None:
    assert _CLAUSE_BREAK.split(text) == _OLD_CLAUSE_BREAK.split(text)


@settings(max_examples=400, deadline=None)
@given(_texts(["a", "ed", "'s", "'re", "_", "é", " ", "I ", "walk", "'", "1", "-", "It", "d"]))
def test_the_verb_test_answers_as_before(text: str) -> None:
    assert bool(_HAS_VERB.search(text)) == bool(_OLD_HAS_VERB.search(text))


@settings(max_examples=600, deadline=None)
@given(_texts(_ADDRESS_UNITS, 50))
def test_item_finders_give_the_plain_searches_matches(text: str) -> None:
    for pattern, finder in ((_EMAIL, _emails), (_LINK, _links), (_MONEY, _money)):
        assert [m.span() for m in finder(text)] == [m.span() for m in pattern.finditer(text)]


def test_item_finders_on_sentences_that_hold_items() -> None:
    text = (
        "Mail a.a@b.co+x@c.com or see www.x.com/a, https://y.io and a.b.example; it costs "
        "$1,200 or 5,000 usd (€30k) for 1,2,3 seats, 4.5 EUR each at Sub.Domain.CO."
    )
    for pattern, finder in ((_EMAIL, _emails), (_LINK, _links), (_MONEY, _money)):
        found = [m.group(0) for m in finder(text)]
        assert found == [m.group(0) for m in pattern.finditer(text)]
        assert found


@settings(max_examples=300, deadline=None)
@given(
    _texts(
        ["Dana", "She", "she", "They", " ", "-", "'", "said", " said ", "O'", "x", "A-", "."]
    ).map(lambda head: head + " said that the rollout slipped to May")
)
def test_said_finds_every_speaker_that_starts_a_token(text: str) -> None:
    new = {m.group("who") for m in _SAID.finditer(text)}
    # A speaker that starts a token (or follows an opening quote) is still found.
    for m in _OLD_SAID.finditer(text):
        before = text[max(0, m.start() - 2) : m.start()]
        if not re.search(r"[\w-]$|[\w-]'$", before):
            assert m.group("who") in new


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (_HYPHEN_CHAIN, "-" * 20_000 + " x.com"),
        (_CLAUSE_BREAK, "x" + " " * 20_000 + "y"),
        (_HAS_VERB, "a_" * 10_000),
        (_SAID, "A-" * 10_000),
    ],
)
def test_a_trap_run_is_still_searched_to_its_end(pattern: re.Pattern[str], text: str) -> None:
    # Behaviour on the run that used to take seconds: the search completes and finds nothing.
    assert pattern.search(text) is None


def _old_tidy(body: str) -> str:
    body = re.sub(r"[ \t]+([,.!?;:])", r"\1", body)
    body = re.sub(r"[ \t]{2,}", " ", body)
    body = re.sub(r"[ \t]+\n", "\n", body)
    body = re.sub(r"\n[ \t]+(?=\S)", "\n", body)
    body = re.sub(r"\n{3,}", "\n\n", body)
    body = re.sub(r"^[\s,;:.!?\u2014\u2013-]+\n", "", body)
    return body.strip()


@settings(max_examples=500, deadline=None)
@given(_texts([" ", "  ", "\t", "\n", "\n\n\n", ",", ".", "!", "?", ";", ":", "a", "Hi", "\u2014"]))
def test_tidy_cleans_as_before(text: str) -> None:
    assert tidy(text) == _old_tidy(text)


def test_tidy_reads_a_long_space_run_once() -> None:
    # The run that took 1.7 s inside one rewrite: still tidied, same result.
    body = "Hi Dana," + " " * 19_000 + "Any update ?"
    assert tidy(body) == "Hi Dana, Any update?"


_OLD_SNAKE = re.compile(r"[A-Za-z]+(?:_[A-Za-z]+)+")
_OLD_ARROW = re.compile(r"\s*(?:=>|->|→)\s*")


@settings(max_examples=500, deadline=None)
@given(_texts(["a", "B", "_", "__", "1", " ", "rule_id", "x_", "_y", "é", "-"]))
def test_internal_ids_are_found_as_before(text: str) -> None:
    assert [m.span() for m in _SNAKE.finditer(text)] == [
        m.span() for m in _OLD_SNAKE.finditer(text)
    ]


@settings(max_examples=500, deadline=None)
@given(_texts([" ", "  ", "\t", "=>", "->", "\u2192", "-", ">", "=", "a", "old", "new"]))
def test_change_lines_split_as_before(text: str) -> None:
    assert _ARROW.split(text, maxsplit=1) == _OLD_ARROW.split(text, maxsplit=1)


_OLD_LEANS_BACK = re.compile(_LEANS_BACK.pattern.replace(r"\s*+(?:", r"\s*(?:", 1), re.IGNORECASE)


@settings(max_examples=500, deadline=None)
@given(
    _texts([" ", "  ", "\n", "\t", "if not", "by then", "when", "?", ".", "a", "fine ", "x"]),
)
def test_a_sentence_leaning_back_is_found_as_before(text: str) -> None:
    assert _OLD_LEANS_BACK.pattern != _LEANS_BACK.pattern
    new, old = _LEANS_BACK.match(text), _OLD_LEANS_BACK.match(text)
    assert (new and new.span()) == (old and old.span())


@settings(max_examples=500, deadline=None)
@given(_texts([*_ADDRESS_UNITS, "ai", "-a", "a-", "xyz"], 50))
def test_eval_link_checks_find_what_the_plain_searches_find(text: str) -> None:
    plain = [(m.group().rstrip(".,;:!?").lower(), m.start()) for m in _checks._URL.finditer(text)]
    plain += [(m.group().lower(), m.start()) for m in _checks._EMAIL.finditer(text)]
    assert _checks.links(text) == plain


@settings(max_examples=500, deadline=None)
@given(_texts(["\n", "\n\n", " ", "-", ":", "=", "accuracy", "tone", "_", "1", "5", ": 4", "é"]))
def test_judge_score_lines_are_read_as_before(text: str) -> None:
    assert [m.span() for m in _judge.score_lines(text)] == [
        m.span() for m in _judge._SCORE_LINE.finditer(text)
    ]


_SENTENCE_UNITS = [" ", ".", "!", "?", "\u2026", "\n", "Inc", "Co", "Dr", "e.g", "a", "B", ")", "'"]


@settings(max_examples=400, deadline=None)
@given(_texts(_SENTENCE_UNITS, 60))
def test_sentence_ends_are_found_as_without_the_mark_first_gate(text: str) -> None:
    # The editor's sentence splitter looks for the mark before its look-arounds run
    # (7x cheaper on a typical draft); the ends it finds are the same.
    from service.editor._parse import _NOT_AN_END, _SENTENCE_END

    plain = re.compile(
        r"(?<![.!?\u2026])" + _NOT_AN_END + r"[.!?\u2026]+[\"'\u2019\u201d)\]]*(?=\s|$)|\n"
    )
    assert [m.span() for m in _SENTENCE_END.finditer(text)] == [
        m.span() for m in plain.finditer(text)
    ]
