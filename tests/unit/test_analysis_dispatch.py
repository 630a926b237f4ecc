"""The trie-compiled alternations match exactly what the plain alternations match."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.analysis._dispatch import dispatch_compile, leading_class
from service.analysis._matcher import Compiled, alternation_source, candidate_index, lexicons
from service.analysis._pattern_source import BOUNDARY_CHAR, RIGHT
from service.analysis._text import prepare

pytestmark = pytest.mark.unit

_DATASET = Path(__file__).resolve().parents[2] / "evals" / "analyzer"


def _lists() -> list[tuple[str, Compiled]]:
    out = []
    for rule, lex in sorted(lexicons().items()):
        for name in ("match", "allow", "value", "invite", "not_support"):
            compiled: Compiled = getattr(lex, name)
            if compiled.entries:
                out.append((f"{rule}.{name}", compiled))
    return out


LISTS = _lists()
_PAIRS: dict[int, tuple[re.Pattern[str], re.Pattern[str], bool]] = {}


def _both(compiled: Compiled) -> tuple[re.Pattern[str], re.Pattern[str], bool]:
    """The plain and the trie-compiled alternation of a whole list (compiled once)."""
    if id(compiled) not in _PAIRS:
        _PAIRS[id(compiled)] = _both_uncached(compiled)
    return _PAIRS[id(compiled)]


def _both_uncached(compiled: Compiled) -> tuple[re.Pattern[str], re.Pattern[str], bool]:
    bounded = [s for s, e in zip(compiled.sources, compiled.entries, strict=True) if e.bounded]
    unbounded = [
        s for s, e in zip(compiled.sources, compiled.entries, strict=True) if not e.bounded
    ]
    source, padded = alternation_source(bounded, unbounded)
    return re.compile(source), dispatch_compile(source, group=1), padded


def _spans(regex: re.Pattern[str], text: str, padded: bool) -> list[tuple[int, int]]:
    return [m.span(1) for m in regex.finditer(" " + text if padded else text)]


def _dataset_texts() -> list[str]:
    texts = []
    for path in sorted(_DATASET.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(prepare(json.loads(line)["draft"]["body"]).norm)
    return texts


TEXTS = _dataset_texts()


@pytest.mark.parametrize(("name", "compiled"), LISTS, ids=[n for n, _ in LISTS])
def test_every_lexicon_list_matches_the_same_spans_on_the_dataset(
    name: str, compiled: Compiled
) -> None:
    plain, fast, padded = _both(compiled)
    assert len(TEXTS) > 400
    hits = 0
    for text in TEXTS:
        expected = _spans(plain, text, padded)
        assert _spans(fast, text, padded) == expected, (name, text)
        hits += len(expected)
    if name.endswith(".match"):
        assert hits > 0  # the comparison saw real matches, not only empty scans


# Fragments that start, end or nearly match lexicon phrases, glued by the
# characters the boundaries care about.
_FRAGMENTS = st.sampled_from(
    [
        "i've",
        "we have",
        "you",
        "u",
        "ur",
        "just",
        "checking in",
        "check-in",
        "per my",
        "last email",
        "three times",
        "3x",
        "only",
        "2 spots",
        "left",
        "ends friday",
        "demo",
        "walk you through",
        "our platform",
        "sign",
        "today",
        "no",
        "not",
        "[name]",
        "{{company}}",
        "xx%",
        "<first name>",
        "hi ,",
        "reply yes",
        "let me know",
        "free",
        "15% off",
        "if you sign",
        "leverage",
        "synergy",
        "heard back",
        "from you",
        "follow up",
        "ready to move forward",
        "a",
        "e",
        "'",
        "-",
    ]
)
_GLUE = st.sampled_from([" ", "  ", "\n", ", ", ". ", "-", "", "'", "!"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_FRAGMENTS, _GLUE), min_size=1, max_size=12))
def test_random_fragment_soup_matches_the_same_spans(parts: list[tuple[str, str]]) -> None:
    text = "".join(f + g for f, g in parts)
    for name, compiled in LISTS:
        plain, fast, padded = _both(compiled)
        assert _spans(fast, text, padded) == _spans(plain, text, padded), (name, text)


@pytest.mark.parametrize(
    "source",
    [
        r"(?:(?:i|we)(?:'ve| have)?\s+(?:now\s+)?called|you (?:did|do)n't)",
        r"(?:a|an)? ?(?:extra )?\d+ ?% off|x{2,}|(?<![a-z])(?:hi|hey) ,",
        r"(?:just )??checking in|ab{1,3}c|[$€]\d+",
        # Both "with" and "without" the optional part match: the engine's order decides.
        r"ab(?:cd)?|pq(?:rs)??|u(?:v|vw)|k(?:lm|l)|(?:zz)?z",
    ],
)
def test_rewritten_patterns_agree_with_re_on_tricky_shapes(source: str) -> None:
    wrapped = f"({source})"
    plain, fast = re.compile(wrapped), dispatch_compile(wrapped, group=1)
    texts = [
        "i've now called you, we have called; you didn't",
        "an extra 15 % off, a 3% off, xx and xxxx, hi , hey ,",
        "just checking in, checking in, abbbc abbbbc, $12 €3",
        "abcd ab pqrs pq uvw klm kl zzz zz",
    ]
    for text in texts:
        assert [m.span(1) for m in fast.finditer(text)] == [m.span(1) for m in plain.finditer(text)]


MATCH_LISTS = [(n, c) for n, c in LISTS if n.endswith(".match")]


def _with_and_without_candidates(text: str) -> None:
    index = candidate_index()
    starts = index.starts(text)
    for name, compiled in MATCH_LISTS:
        expected = compiled.finditer(text)
        assert compiled.finditer(text, starts=starts) == expected, (name, text)


def test_candidate_positions_find_exactly_what_full_scans_find_on_the_dataset() -> None:
    found = 0
    for text in TEXTS:
        _with_and_without_candidates(text)
        found += len(candidate_index().starts(text))
    assert found > 100  # the index really proposes positions


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_FRAGMENTS, _GLUE), min_size=1, max_size=12))
def test_candidate_positions_agree_on_random_fragment_soup(parts: list[tuple[str, str]]) -> None:
    _with_and_without_candidates("".join(f + g for f, g in parts))


def _plain_index() -> re.Pattern[str]:
    """The candidate scan as first written: the plain union, no prefilter, no trie."""
    lists = [lex.match for lex in lexicons().values()]
    sources = list(dict.fromkeys(s for c in lists if c.padded for s in c.sources))
    alternation = "|".join(f"(?:{s})" for s in sources)
    return re.compile(BOUNDARY_CHAR + "(?=(" + alternation + ")" + RIGHT + ")")


_PLAIN_INDEX: list[re.Pattern[str]] = []


def _assert_same_starts(text: str) -> None:
    if not _PLAIN_INDEX:
        _PLAIN_INDEX.append(_plain_index())
    expected = [m.start() for m in _PLAIN_INDEX[0].finditer(" " + text)]
    assert candidate_index().starts(text) == expected, text


def test_the_candidate_scan_has_a_first_character_prefilter() -> None:
    # Without it every character of a run of punctuation enters the union.
    assert "(?=[" in candidate_index().source


def test_candidate_positions_equal_the_plain_union_on_the_dataset() -> None:
    for text in TEXTS:
        _assert_same_starts(text)


# Characters next to which the prefilter and the factored `\b` / `\d` branches must
# decide as the plain union does: boundaries that are word characters to `\b`
# ("_", Greek, digits beyond ASCII), symbols that start entries ($, €, £, ., !, ?).
_EDGE = st.sampled_from(
    [
        "_",
        "\u03b1",
        "é",
        "٣",
        "1",
        "15",
        "$",
        "€",
        "£",
        ".",
        "!",
        "?",
        "<",
        "-",
        "'",
        " ",
        "\n",
        "x",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_FRAGMENTS, _EDGE, _GLUE), min_size=1, max_size=16))
def test_candidate_positions_equal_the_plain_union_on_random_text(parts: list[str]) -> None:
    _assert_same_starts("".join(parts))


@pytest.mark.parametrize(
    "text",
    ["<" * 3000, "1 " * 1500, "a.b.c.d." * 400, "_" * 2000, "$1 " * 1000, "é " * 1500, "٣ " * 900],
)
def test_candidate_positions_equal_the_plain_union_on_adversarial_runs(text: str) -> None:
    _assert_same_starts(text)


@pytest.mark.parametrize(
    ("source", "lead"),
    [
        (r"\bab|\d+x", r"[\U00000061\d]"),
        (r"(?<![a-z])(?:hi|hey)\s+,|^de", r"[\U00000068\U00000064]"),
        (r"(?:the )?(?:x|y)z*", r"[\U00000074\U00000078\U00000079]"),
        (r"[^ab]c|d", r"[\U00000064]|[^\U00000061\U00000062]"),
        (r"a?", None),  # may match the empty string: any position, any character
        (r"\b", None),
        (r"(?i:a)b", None),  # case-insensitive: "A" too
        (r".x", None),
    ],
)
def test_leading_class_covers_every_first_character(source: str, lead: str | None) -> None:
    assert leading_class(source) == lead


_LEADS: list[tuple[re.Pattern[str], re.Pattern[str]]] = []


def _leads() -> list[tuple[re.Pattern[str], re.Pattern[str]]]:
    """(every start of a match of an entry, its leading class) for each match-list entry."""
    if not _LEADS:
        for _, compiled in MATCH_LISTS:
            for source in compiled.sources:
                lead = leading_class(source)
                if lead is not None:
                    _LEADS.append((re.compile(f"(?=({source}))"), re.compile(lead)))
    return _LEADS


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(_FRAGMENTS, _EDGE, _GLUE), min_size=1, max_size=10))
def test_every_match_starts_with_a_character_of_its_leading_class(parts: list[str]) -> None:
    text = " " + "".join(parts)
    for starts, lead in _leads():
        for m in starts.finditer(text):
            if m.end(1) > m.start(1):
                assert lead.match(text, m.start(1)), (starts.pattern, text)


@pytest.mark.parametrize(
    "source",
    [
        r"\d+st|\d+ ?days|\d+\s+weeks|\bno|\bnot|x|\d*y",
        r"\bab|\ba(?:c|d)|ab*x|ab*y|[$€]\d|[$€] \d",
        r"(?:just )?check(?:ing)? in|(?:just )?follow(?:ing)? up|\bjust\b",
    ],
)
def test_unordered_rewrite_finds_the_same_positions(source: str) -> None:
    wrapped = BOUNDARY_CHAR + "(?=(" + source + ")" + RIGHT + ")"
    plain, fast = re.compile(wrapped), dispatch_compile(wrapped, group=1, ordered=False)
    texts = [
        " 1st 3 days 12  weeks no not x 7y y 12y",
        " ab ac ad abbbx aby $1 € 2 €3 abx_ab",
        " just checking in, check in just following up follow up justice",
    ]
    for text in texts:
        assert [m.start() for m in fast.finditer(text)] == [m.start() for m in plain.finditer(text)]
