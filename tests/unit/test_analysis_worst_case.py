"""The worst case of analysis (issue #10 item 3): rewrites that bound it, and their equivalence.

A character count (test_analysis_bounded.py) cannot see backtracking inside
the regex engine: one call handed 20 KB may still take quadratic time. The
patterns rewritten for that reason are checked here against the old ones on
structured random text (same matches, same groups), and the pieces made
faster (the compatibility fold, the wrong_language scan) against plain
reference versions (the equal-pairs flags: test_degenerate_repeat.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.analysis import _addresses, _changed_party, _language, _normalize
from service.analysis._fact_keys import URL_HINT
from service.analysis._matcher import lexicons
from service.analysis._normalize import MAX_GROWTH, TLD_NAMES, Normalised
from service.analysis._pattern_source import MAX_ANY_RUN, bound_repeats
from service.analysis._provenance import trusted_corpus
from service.analysis._text import prepare
from service.models import Context, Message

pytestmark = pytest.mark.unit

# --------------------------------------------------------------- bounded repeats


@pytest.mark.parametrize(
    ("source", "bounded"),
    [
        (r"trial\b.*(?:fit|suit)", r"trial\b.{0,500}(?:fit|suit)"),
        (r"a.+?b", r"a.{1,500}?b"),
        (r"x.{2,}y", r"x.{2,500}y"),
        (r"x.{2,9}y", r"x.{2,9}y"),
        (r"a\.+ [.]* \w+ \s* _{3,}", r"a\.+ [.]* \w+ \s* _{3,}"),
    ],
)
def test_only_a_repeated_any_character_is_bounded(source: str, bounded: str) -> None:
    assert bound_repeats(source) == bounded
    re.compile(bound_repeats(source))


def test_no_lexicon_list_repeats_any_character_without_bound() -> None:
    for lex in lexicons().values():
        lists = (lex.match, lex.allow, lex.value, lex.invite, lex.not_support, lex.allow_message)
        for compiled in lists:
            for source in compiled.sources:
                assert not re.search(r"(?<!\\)\.(?:[*+]|\{\d*,\})", source), source


def test_an_exemption_still_applies_within_the_bound() -> None:
    """desperate_discount's allow: a pilot that lines up with their rollout exempts the sentence."""
    near = "Happy to extend the pilot so it can line up with their rollout, 20% off too."
    far = (
        "Happy to extend the pilot "
        + "and more " * (MAX_ANY_RUN // 8)
        + "to line up with their rollout."
    )
    lex = lexicons()["desperate_discount"]
    assert lex.allow.search(prepare(near).norm)
    assert not lex.allow.search(prepare(far).norm)


# --------------------------------------------------------- changed_party patterns

_NAME = _changed_party._NAME


def _old_patterns() -> dict[str, re.Pattern[str]]:
    """The patterns as they were before their whitespace runs were made possessive."""
    w = _changed_party._lexicon().file.words
    alt = _changed_party._alt
    return {
        "greeting": re.compile(
            rf"\A\s*(?i:{alt(w['greetings'])})[ \t]*,?[ \t]+"
            rf"(?P<title>(?i:{alt(w['titles'])})\.?[ \t]+)?"
            rf"(?P<name>{_NAME})(?P<more>(?:[ \t]+{_NAME}){{0,2}})"
        ),
        "sign_off": re.compile(
            rf"^[ \t]*(?i:{alt(w['sign_offs'])})[ \t]*[,.!\u2014-]*[ \t]*(?:\n\s*|[ \t]+)"
            rf"(?P<name>{_NAME})[^\n]*\s*\Z|^[ \t]*[\u2014-]+[ \t]*(?P<dash>{_NAME})[^\n]*\s*\Z"
            rf"|[.!?)][ \t]+[\u2014\u2013-]{{1,2}}[ \t]*"
            rf"(?P<inline>{_NAME}(?:[ \t]+{_NAME}){{0,2}})[ \t.]*\Z",
            re.MULTILINE,
        ),
        "addressee": re.compile(
            rf"\A\s*(?i:for the attention of|attention|attn|fao|for|to)\b\.?:?[ \t]+"
            rf"(?P<title>(?i:{alt(w['titles'])})\.?[ \t]+)?"
            rf"(?P<name>{_NAME})(?P<more>(?:[ \t]+{_NAME}){{0,2}})"
        ),
        "from": re.compile(
            rf"\A\s*(?:(?i:a|an|this|my|one)[ \t]+)?(?:(?i:personal|quick|short|brief|friendly"
            rf"|private)[ \t]+)?(?i:note|message|letter|word|update|email|e-mail|invitation"
            rf"|invite|hello)[ \t]+(?i:from)[ \t]+(?P<name>{_NAME})"
            rf"(?P<more>(?:[ \t]+{_NAME}){{0,2}})"
            rf"|\A\s*(?i:from):?[ \t]+(?P<name2>{_NAME})(?P<more2>(?:[ \t]+{_NAME}){{0,2}})"
        ),
    }


def _new_patterns() -> dict[str, tuple[Callable[[str], re.Match[str] | None], str]]:
    return {
        "greeting": (_changed_party._greeting_re().match, "match"),
        "sign_off": (_changed_party._sign_off_re().search, "search"),
        "addressee": (_changed_party._addressee_re().match, "match"),
        "from": (_changed_party._FROM_RE.match, "match"),
    }


_GAPS = ["", " ", "  ", "\t", ",", ", ", " ,", " , ", ".", ". ", "!", " - ", "-", "\u2014", "\n"]
_GAPS += [" \n", ",\n", ",\n  ", "\n\n", ":", ": ", " :", "\u2014 ", " \t "]
_OPENERS = ["hi", "Hi", "Dear", "Good morning", "Best", "Kind regards", "Thanks again", "for"]
_OPENERS += ["Attn", "to", "For the attention of", "From", "from", "A personal note from"]
_NAMES = ["Dana", "Chris Park", "Zo\u00eb", "McKinley-Ross's", "dana", "X", "Dr", "Dana Miles Lee"]
_TAILS = ["", " ", "\n", "  \n ", "\nx", " x", ".", ". Thanks", "\n\n", " \t"]
_LEADS = ["", " ", "\n", "Some text.\n", "Ok. ", "Great call", "See you)"]


@st.composite
def _salutations(draw: st.DrawFn) -> str:
    title = draw(st.sampled_from(["", "Ms", "Dr.", "prof"]))
    text = (
        draw(st.sampled_from(_LEADS))
        + draw(st.sampled_from(_OPENERS))
        + draw(st.sampled_from(_GAPS))
        + (title + draw(st.sampled_from(_GAPS)) if title else "")
        + draw(st.sampled_from(_NAMES))
        + draw(st.sampled_from(_TAILS))
    )
    return text.replace(" ", draw(st.sampled_from([" ", " ", "  ", "\t"])))


@settings(max_examples=400, deadline=None)
@given(_salutations())
def test_possessive_address_patterns_match_as_the_old_ones(text: str) -> None:
    old = _old_patterns()
    for name, (find, mode) in _new_patterns().items():
        a, b = getattr(old[name], mode)(text), find(text)
        assert (a and (a.span(), a.groupdict())) == (b and (b.span(), b.groupdict())), name


def test_whitespace_runs_no_longer_backtrack_in_address_patterns() -> None:
    """Each of these took seconds (quadratic backtracking); now each is one linear pass.

    Counted as the work the engine could do at most: the possessive runs give
    no position back, so the match fails as soon as the run ends. Checked by
    the result (no match) on inputs whose old cost was ~20,000^2 steps.
    """
    spaces = " " * 20_000
    assert _changed_party._greeting_re().match("Hi" + spaces + "x") is None
    assert _changed_party._sign_off_re().search("Best,\nChris" + spaces + "\nx") is None
    assert _changed_party._addressee_re().match("For" + spaces + "x") is None
    assert _changed_party._FROM_RE.match("From" + spaces + "x") is None


# ------------------------------------------------------------ the compatibility fold


def _reference_fold(text: str) -> tuple[str, list[int], list[int]]:
    """Steps 1-2 of _normalize, one character at a time (the previous implementation)."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    growth = 0
    for i, ch in enumerate(text):
        if ch in _normalize._CONTROLS:
            continue
        folded = ch if ch.isascii() else _normalize._compat(ch)
        if len(folded) > 1:
            if growth + len(folded) - 1 > MAX_GROWTH:
                folded = ch
            else:
                growth += len(folded) - 1
        chars.append(folded)
        starts.extend([i] * len(folded))
        ends.extend([i + 1] * len(folded))
    return "".join(chars), starts, ends


_PIECES = [
    *"ab 1.\n",
    "\u200b", "\u202e", "\ufdfa", "\ufb01", "\u00bd", "\uff33", "\u0430", "e\u0301", "\u00ad",
    "\u2066", "\ufb03", "\u01c6", "\u2474", "\U0001f64c", "\u3000", "\u2019", "hxxps://", "[.]",
]  # fmt: skip


def _fold_of(n: Normalised) -> tuple[str, list[int], list[int]]:
    text, lengths = _normalize._compat_fold(n.original)
    if lengths is None:
        return text, list(range(len(n.original))), list(range(1, len(n.original) + 1))
    starts = [i for i, k in enumerate(lengths) for _ in range(k)]
    return text, starts, [s + 1 for s in starts]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=200))
def test_the_fold_gives_the_character_by_character_result(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert _fold_of(Normalised(text=text, original=text)) == _reference_fold(text)


@pytest.mark.parametrize(
    "text",
    [
        "\ufb01" * 999 + "\u00bd\u200b\ufb01\u00bd\u200ba\ufb01",  # the budget's last character
        "\ufb01" * 998 + "\u00bd" * 3 + "\u200b\ufb01\ufb01\u200b",
        "\u00bd" * 1_200 + "\ufb01" * 5 + "\u200b" + "\u00bd" * 10,  # spent: the rest as written
    ],
)
def test_the_fold_keeps_the_growth_budget_first_come_first_served(text: str) -> None:
    assert _fold_of(Normalised(text=text, original=text)) == _reference_fold(text)


# ------------------------------------------------------------------ wrong_language


def _reference_wrong_language(body: str, original: Message, context: Context | None) -> object:
    """find_wrong_language reading every sentence (before it skipped the harmless ones)."""
    lists = _language._lists()
    doc = prepare(body)
    trusted = trusted_corpus(context, original)
    known, allowed = frozenset(_language._words(trusted)), frozenset(_language._scripts(trusted))
    base = _language._draft_language(original.subject or "", original.body)
    text = doc.raw
    spans = [(m.start(), m.end()) for m in _language._SENTENCE.finditer(text)]
    for start, end in [*spans, (0, len(text))]:
        sentence = text[start:end]
        if script := _language._foreign_script(sentence, allowed, lists):
            return (start, script)
        words = [w for w in _language._words(sentence) if w not in known]
        lang = _language._language(words, lists, share=lists.min_share)
        if lang is not None and lang != base:
            return (start, lang)
    return None


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_wrong_language_skips_only_sentences_that_cannot_fire(data: st.DataObject) -> None:
    lists = _language._lists()
    vocab = sorted(lists.index)[:300] + sorted(lists.english)[:100]
    vocab += ["\u041f\u0440\u0438\u0432\u0435\u0442", "\u6771\u4eac", "\u0395\u03bb\u03bb\u03ac"]
    words = data.draw(st.lists(st.sampled_from(vocab), min_size=1, max_size=60))
    seps = data.draw(st.lists(st.sampled_from([" ", ". ", "! ", "\n", ", "]), min_size=1))
    body = "".join(w + seps[i % len(seps)] for i, w in enumerate(words))
    original = Message(body=data.draw(st.sampled_from(["Hi Dana", "Hola Dana, gracias", "x"])))
    doc = prepare(body)
    found = _language.find_wrong_language(doc, None, original)
    expected = _reference_wrong_language(body, original, None)
    assert (found[0].start if found else None) == (
        None if expected is None else _expected_start(body, expected)
    )


def _expected_start(body: str, expected: object) -> int:
    start = expected[0]  # type: ignore[index]
    sentence = body[start:]
    return start + len(sentence) - len(sentence.lstrip())


# ------------------------------------------------------------ e-mails and bare hosts

_ADDRESS_PIECES = ["a", "x", "1", ".", "-", "--", "_", "%", "+", "@", " ", "com", ".com", ".io"]
_ADDRESS_PIECES += [
    ".solutions",
    ".info1",
    ".uk-",
    ".example",
    "http",
    "https://",
    "www.",
    "/",
    "/p",
    "\u00e9",
    "\n",
    ")",
    "a-",
]


@st.composite
def _address_soup(draw: st.DrawFn) -> str:
    text = "".join(draw(st.lists(st.sampled_from(_ADDRESS_PIECES), max_size=40)))
    # A long run of local-part or host characters sends both to their linear path.
    pad = draw(st.sampled_from(["", "a" * 70, "." * 70, "a-" * 20, "-a" * 20]))
    return pad + text if draw(st.booleans()) else text + pad


_TLD = "(?:" + TLD_NAMES + ")"
# The patterns as they were: a top-level domain tried as ~150 alternatives at every ".".
_OLD_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"')\]]+|(?<![@\w.])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*"
    r"\." + _TLD + r"(?![a-z0-9-])(?:/[^\s<>\"')\]]*)?"
)
_OLD_URL_HINT = re.compile(r"https?://|www\.|\." + _TLD + r"(?![a-z0-9-])")


@settings(max_examples=500, deadline=None)
@given(_address_soup())
def test_emails_and_hosts_are_found_as_by_the_plain_patterns(text: str) -> None:
    for linear, plain in ((_addresses.EMAIL, _addresses._EMAIL), (_addresses.URL, _OLD_URL)):
        assert [m.span() for m in linear.finditer(text)] == [m.span() for m in plain.finditer(text)]
        assert linear.sub(" ", text) == plain.sub(" ", text)
    hint, old_hint = URL_HINT.search(text), _OLD_URL_HINT.search(text)
    assert (hint and hint.span()) == (old_hint and old_hint.span())


def test_a_long_run_with_no_address_in_it_is_read_once() -> None:
    """The shapes that made the plain searches quadratic still find what is there."""
    assert list(_addresses.EMAIL.finditer("x@" + "." * 20_000)) == []
    assert [m.group() for m in _addresses.EMAIL.finditer("a" * 20_000 + "@b.co")] == [
        "a" * 20_000 + "@b.co"
    ]
    hosts = [m.group() for m in _addresses.URL.finditer("a-" * 9_000 + " evil.com")]
    assert hosts == ["evil.com"]


# ------------------------------------------------------- changed_party: skipped work

_CASE_INSENSITIVE_LETTERS = re.compile(
    "(?i:[" + "".join(set("".join(_changed_party._INTRO_PHRASES)) - {" ", "'"}) + "])"
)


def test_only_the_listed_letters_outside_ascii_match_an_introduction_letter() -> None:
    """`_may_introduce` looks for the phrases in the lower-cased text, plus these letters."""
    odd = {
        chr(c)
        for c in range(128, 0x110000)
        if _CASE_INSENSITIVE_LETTERS.fullmatch(chr(c)) is not None
    }
    assert odd == set(_changed_party._INTRO_ODD_LETTERS)


_INTRO_PIECES = [
    "It's",
    "it is",
    "THIS IS",
    "I'm",
    "i am",
    "My name is",
    "\u0130t is",
    "thi\u017f is",
]
_INTRO_PIECES += [
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    " \u2028 ",
    "Dana",
    "Sam Lee",
    " from ",
    "Acme",
    ",",
    ".",
]
_INTRO_PIECES += [
    "Best,",
    "Thanks",
    "Cheers!",
    "-",
    "\u2014",
    "Jo",
    "x",
    "? -- Hana Okafor",
    " at ",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_INTRO_PIECES), max_size=30))
def test_introductions_and_sign_offs_are_found_as_by_the_full_search(pieces: list[str]) -> None:
    text = "".join(pieces)
    doc = prepare(text)
    intros = [m.span() for m in _changed_party._INTRO.finditer(doc.folded)]
    if not _changed_party._may_introduce(doc):
        assert intros == []
    sign_off = _changed_party._sign_off_re()
    full = sign_off.search(doc.folded)
    tail = sign_off.search(doc.folded, _changed_party._closing_lines_start(doc.folded))
    assert (full and (full.span(), full.groupdict())) == (tail and (tail.span(), tail.groupdict()))
