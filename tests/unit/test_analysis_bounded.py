"""Analysis work grows linearly with the input, and the linear rewrites changed no finding.

Two halves:

- *Counting.* Work is counted, never timed: every regex call the analyzer
  makes is charged the characters it is handed (the module-level patterns of
  service/analysis and every compiled lexicon list are swapped for counting
  proxies), and every line of analyzer Python that runs is counted with a
  trace function. Over random and adversarial text (long runs of punctuation,
  the same lexicon phrase thousands of times in one sentence, digit soup) both
  counts must stay under a constant times the input length. The quadratic
  traps this replaced (the negation window re-read from the sentence start
  for every match, the sign-off check counting every word of the message for
  every sentence) fail these bounds by orders of magnitude.
- *Equivalence.* The rewritten pieces give exactly the results of the old
  ones on the whole labelled dataset and on random text: budget words, sentence
  ends (the old patterns backtracked quadratically inside the regex engine,
  which a character count cannot see, so their replacements are checked
  against them instead) and negation.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import service.analysis as analysis_pkg
from bench._adversarial import cases as adversarial_cases
from bench._adversarial import field_cases, run_cases
from service.analysis import _fact_extract, _patterns, analyze
from service.analysis._bounds import (
    MESSAGE_CONTACTS,
    MESSAGE_FACTS,
    ORIGINAL_CONTACTS,
    ORIGINAL_FACTS,
    bound_original,
)
from service.analysis._caches import clear_text_caches
from service.analysis._fact_keys import vocab
from service.analysis._matcher import candidate_index, lexicons
from service.analysis._text import _SENTENCE_END, Doc, _segment, prepare
from service.guard import blocking_findings
from service.models import AnalyzeRequest, Context, Message
from tests._dataset import labelled_records

pytestmark = pytest.mark.unit

_DATASET = Path(__file__).resolve().parents[2] / "evals" / "analyzer"


# --------------------------------------------------------------------------- counting


class _Meter:
    def __init__(self) -> None:
        self.chars = 0
        self.calls = 0
        self.lines = 0


class _CountingPattern:
    """A compiled pattern that charges each call the characters it may read."""

    def __init__(self, pattern: re.Pattern[str], meter: _Meter) -> None:
        self._pattern = pattern
        self._meter = meter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)

    def _charge(self, string: str, pos: int = 0, endpos: int | None = None) -> None:
        end = len(string) if endpos is None else min(endpos, len(string))
        self._meter.calls += 1
        self._meter.chars += max(0, end - pos)

    def search(self, string: str, *args: int) -> Any:
        self._charge(string, *args)
        return self._pattern.search(string, *args)

    def match(self, string: str, *args: int) -> Any:
        self._charge(string, *args)
        return self._pattern.match(string, *args)

    def fullmatch(self, string: str, *args: int) -> Any:
        self._charge(string, *args)
        return self._pattern.fullmatch(string, *args)

    def finditer(self, string: str, *args: int) -> Any:
        self._charge(string, *args)
        return self._pattern.finditer(string, *args)

    def findall(self, string: str, *args: int) -> Any:
        self._charge(string, *args)
        return self._pattern.findall(string, *args)

    def sub(self, repl: Any, string: str, count: int = 0) -> Any:
        self._charge(string)
        return self._pattern.sub(repl, string, count)


def _analysis_modules() -> list[ModuleType]:
    prefix = analysis_pkg.__name__ + "."
    return [m for name, m in sorted(sys.modules.items()) if name.startswith(prefix)]


@contextmanager
def _metered() -> Iterator[_Meter]:
    """Count regex characters and analyzer lines while the block runs."""
    meter = _Meter()
    restore: list[tuple[Any, str, Any]] = []

    def swap(owner: Any, name: str, value: Any) -> None:
        restore.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    for module in _analysis_modules():
        for name, value in list(vars(module).items()):
            if isinstance(value, re.Pattern):
                swap(module, name, _CountingPattern(value, meter))
    for lex in lexicons().values():
        for compiled in (lex.match, lex.allow, lex.value, lex.invite, lex.not_support):
            regex, padded = compiled.compiled()
            swap(compiled, "_regex", (_CountingPattern(regex, meter), padded))
            swap(compiled, "singles", tuple(_CountingPattern(p, meter) for p in compiled.singles))
    index = candidate_index()
    swap(index, "_regex", _CountingPattern(index._regex, meter))
    analysis_dir = str(Path(analysis_pkg.__file__).parent)

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        if not frame.f_code.co_filename.startswith(analysis_dir):
            return None
        if event == "line":
            meter.lines += 1
        return tracer

    sys.settrace(tracer)
    try:
        yield meter
    finally:
        sys.settrace(None)
        for owner, name, value in reversed(restore):
            setattr(owner, name, value)


# Constants of the bound, per character of input (body plus context text). A
# typical email costs well under these; a quadratic step at a few thousand
# characters costs hundreds of times more.
_CHARS_PER_CHAR = 2_000
_LINES_PER_CHAR = 60
_FIXED = 50_000


def _work(body: str, context: Context | None = None) -> tuple[_Meter, int]:
    analyze(Message(body="Warm up the lexicons, please?"), context=context)  # compile first
    size = len(body) + (
        0
        if context is None
        else len(context.notes or "") + sum(map(len, context.prospect_messages))
    )
    with _metered() as meter:
        analyze(Message(body=body), context=context)
    return meter, size


def _assert_linear(meter: _Meter, size: int) -> None:
    assert meter.chars <= _FIXED + _CHARS_PER_CHAR * size, (meter.chars, size)
    assert meter.lines <= _FIXED + _LINES_PER_CHAR * size, (meter.lines, size)


def _growth(body_of: Any, n: int) -> tuple[float, float]:
    """How the counted work grows when the input doubles (about 2 when linear, 4 when quadratic)."""
    small, _ = _work(body_of(n))
    large, _ = _work(body_of(2 * n))
    return (
        (large.chars + _FIXED) / (small.chars + _FIXED),
        (large.lines + _FIXED) / (small.lines + _FIXED),
    )


_PHRASES = [
    "15% off ",
    "you said you'd decide by now ",
    "just checking in ",
    "no need to rush, ",
    "sign by friday and get 20% off ",
    "[name] ",
    "Sam Lee at Acme ",
    "$1,200 ",
    "call me at 555-0143 ",
]
_UNITS = ["!", ".", "?", "!1", "1!", "-1", "'1", "$a", "a ", "\n", "_", "[", "🙌 A", ",1"]


@st.composite
def _adversarial(draw: st.DrawFn) -> str:
    """A long body built from one repeated unit: punctuation runs, phrase floods, digit soup."""
    unit = draw(st.sampled_from(_PHRASES + _UNITS) | st.text(min_size=1, max_size=4))
    length = draw(st.integers(min_value=500, max_value=6_000))
    tail = draw(st.sampled_from(["", "a", "A", " a", "!a", "?"]))
    return (unit * (length // len(unit) + 1))[:length] + tail


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_adversarial())
def test_adversarial_bodies_cost_linear_work(body: str) -> None:
    meter, size = _work(body)
    _assert_linear(meter, size)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_PHRASES + _UNITS))
def test_doubling_an_adversarial_body_at_most_doubles_the_work(unit: str) -> None:
    chars, lines = _growth(lambda n: (unit * n)[: n * 4], 2_500)
    assert chars < 2.5
    assert lines < 2.5


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=4_000))
def test_random_bodies_cost_linear_work(body: str) -> None:
    meter, size = _work(body)
    _assert_linear(meter, size)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_adversarial())
def test_adversarial_context_costs_linear_work(text: str) -> None:
    context = Context.model_validate(
        {"notes": text[:2_000], "prospect_messages": [text, text[::-1]], "goal": text[:200]}
    )
    meter, size = _work("Hi Sam, is the rollout still on for March?", context)
    _assert_linear(meter, size)


# Every family of the bench's worst-case row (bench/_adversarial.py) at a tenth of
# the size, with the supporting text cold (the per-text caches cleared): the body
# alone, and as the guard reads a rewrite of it (the draft as the original).
_FAMILIES = adversarial_cases(2_000, phrases=None) + run_cases(2_000) + field_cases(2_000)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _request_work(payload: dict[str, Any], *, as_rewrite: bool) -> tuple[_Meter, int]:
    request = AnalyzeRequest.model_validate(payload)
    original = request.draft if as_rewrite else request.original
    context = request.context
    size = len(request.draft.body) + (len(original.body) if original else 0)
    if context is not None:
        # Every text of the context: the short fields (names, company, goal, ...) are
        # input too, up to 2,000 characters each (the `fields` family fills them).
        size += sum(len(v) for v in _strings(context.model_dump()))
    analyze(Message(body="Warm up the lexicons, please?"), context=context)
    clear_text_caches()  # every cache keyed on a text or a context: the work is cold
    with _metered() as meter:
        analyze(request.draft, context=context, original=original)
    return meter, size


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_FAMILIES), st.booleans())
def test_every_adversarial_family_costs_linear_work(case: Any, as_rewrite: bool) -> None:
    _, _, payload = case
    meter, size = _request_work(payload, as_rewrite=as_rewrite)
    _assert_linear(meter, size)


@pytest.mark.parametrize("family", sorted({f for f, _, _ in _FAMILIES}))
def test_the_worst_unit_of_each_family_costs_linear_work(family: str) -> None:
    """The heaviest case of each family (digit soup with a huge context, ...) in full."""
    worst = max((c for c in _FAMILIES if c[0] == family), key=lambda c: len(json.dumps(c[2])))
    meter, size = _request_work(worst[2], as_rewrite=True)
    _assert_linear(meter, size)


def test_context_heavy_requests_do_not_grow_with_the_context() -> None:
    """Past the work budget (_bounds.py), more supporting text costs no more work."""
    unit = "Order 48213-77 shipped; call 555-0143 ext 12, PO #99812, 3.5% of $12,400. 1! "

    def work(n: int) -> int:
        payload = {
            "draft": {"body": "Hi Dana, is the 555-0143 line still the best one?"},
            "original": {"body": (unit * n)[: 30 * n]},
            "context": {
                "notes": (unit * n)[: 40 * n],
                "prospect_messages": [(unit * n)[: 40 * n]] * 4,
            },
        }
        return _request_work(payload, as_rewrite=False)[0].lines

    assert work(480) < 1.3 * work(240)


def test_a_message_past_the_fact_budget_still_fails() -> None:
    """The unchecked rest is an invented_fact finding of its own: the guard blocks it."""
    body = "Hi Dana, " + " ".join(f"{n}" for n in range(1_000, 1_000 + 2 * MESSAGE_FACTS))
    original = Message(body=body)
    ok = analyze(Message(body=body), original=original)
    rest = [f for f in ok.findings if "unchecked" in f.message]
    assert [(f.rule, f.end) for f in rest] == [("invented_fact", len(body))]
    # Every fact before the cut is checked (a fact at the cut may read differently
    # there than in the whole original: at most that one is reported too).
    assert len([f for f in ok.findings if f.rule == "invented_fact"]) <= 2
    assert "invented_fact" in {f.rule for f in blocking_findings(ok)}
    small = analyze(Message(body="Hi Dana, 1000 1001 1002"), original=original)
    assert not [f for f in small.findings if f.rule == "invented_fact"]


def test_a_message_past_the_contact_budget_still_fails() -> None:
    """Addresses and links have their own budget (no digit or capital needed)."""
    body = (
        "Hi Dana, "
        + " ".join(f"{a}{b}@mail.example" for a in "abcdefgh" for b in "ijklmnopqrstuvwxyz") * 6
    )
    assert body.count("@") > MESSAGE_CONTACTS
    result = analyze(Message(body=body), original=Message(body=body))
    rest = [f for f in result.findings if "unchecked" in f.message]
    assert [(f.rule, f.end) for f in rest] == [("invented_fact", len(body))]
    assert "addresses and links" in rest[0].message
    assert "invented_fact" in {f.rule for f in blocking_findings(result)}


def test_an_original_past_the_contact_budget_vouches_for_nothing_after_it() -> None:
    addresses = [
        f"{a}{b}{c}@x.example" for a in "abcdefgh" for b in "ijklmnop" for c in "qrstuvwxyz"
    ]
    assert len(addresses) > ORIGINAL_CONTACTS
    original = Message(body=" ".join(addresses))
    bounded = bound_original(original)
    assert bounded is not None
    assert bounded.body.count("@") == ORIGINAL_CONTACTS
    first, last = addresses[0], addresses[-1]
    supported = analyze(Message(body=f"Write to {first}."), original=original)
    assert not [f for f in supported.findings if f.rule == "invented_fact"]
    past = analyze(Message(body=f"Write to {last}."), original=original)
    assert [f.excerpt for f in past.findings if f.rule == "invented_fact"] == [last]


def test_an_original_past_the_name_budget_vouches_for_nothing_after_it() -> None:
    letters = "abcdefghijklmnopqrstuvwxyz"
    names = [f"{a.upper()}{b}{c}" for a in letters for b in letters for c in "aeiou"]
    names = names[: ORIGINAL_FACTS + 40]
    original = Message(body=" ".join(names))
    bounded = bound_original(original)
    assert bounded is not None
    assert len(bounded.body.split()) == ORIGINAL_FACTS
    early = analyze(Message(body=f"We can ask {names[10]} today."), original=original)
    assert not [f for f in early.findings if f.rule == "invented_fact"]
    late = analyze(Message(body=f"We can ask {names[-1]} today."), original=original)
    assert [f.excerpt for f in late.findings if f.rule == "invented_fact"] == [names[-1]]


def _old_join_phones(norm: str, items: list[Any], lenient: bool) -> list[Any]:
    out: list[Any] = []
    i = 0
    while i < len(items):
        kind, start = items[i][0], items[i][1]
        j = i
        while (
            j + 1 < len(items)
            and items[j][0] in {"number", "phone"}
            and items[j + 1][0] in {"number", "phone"}
            and items[j + 1][1] - items[j][2] == 1
            and _fact_extract._PHONE_GAP.fullmatch(norm, items[j][2], items[j + 1][1])
        ):
            j += 1
        if j > i and kind in {"number", "phone"}:
            text = norm[start : items[j][2]]
            digits = sum(ch.isdigit() for ch in text)
            cued = text[0] in "0+" or _fact_extract._PHONE_CUE.search(
                norm, max(0, start - 30), start
            )
            if digits >= 7 and (cued or lenient):
                if lenient:
                    out.extend(items[i : j + 1])
                out.append(("phone", start, items[j][2], None))
                i = j + 1
                continue
        out.append(items[i])
        i += 1
    return out


def _assert_phones_agree(text: str) -> None:
    norm = _fact_extract.lower_same_length(_fact_extract.fold(text))
    captured: list[list[Any]] = []
    real = _fact_extract._join_phones
    _fact_extract._join_phones = lambda n, items, lenient: captured.append(items) or items  # type: ignore[assignment]
    try:
        _fact_extract._scan(norm, vocab())
    finally:
        _fact_extract._join_phones = real
    for items in captured:
        for lenient in (False, True):
            assert real(norm, items, lenient) == _old_join_phones(norm, items, lenient), text


@pytest.mark.parametrize("chunk", range(4))
def test_linear_phone_joining_agrees_with_the_old_one(chunk: int) -> None:
    for text in TEXTS[chunk::4]:
        _assert_phones_agree(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["1", "0", "555", "0143", " ", "-", ".", "+44 ", "call ", "a", "\n", "07700"]
        ),
        max_size=40,
    ).map("".join)
)
def test_linear_phone_joining_agrees_with_the_old_one_on_random_text(text: str) -> None:
    _assert_phones_agree(text)


def test_the_meter_sees_a_quadratic_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound has teeth: with the old negation check (its window re-read from the
    sentence start for every match) the counted work quadruples when the input doubles.
    (The cap on hits per rule would hide it, so it is lifted here.)
    """
    monkeypatch.setattr(_patterns, "MAX_RULE_HITS", 10**9)

    def body_of(n: int) -> str:
        return ("15% off " * n)[: n * 4]

    assert _growth(body_of, 1_500)[0] < 2.5
    original = _patterns.is_negated
    _patterns.is_negated = _old_is_negated
    try:
        chars, _ = _growth(body_of, 1_500)
    finally:
        _patterns.is_negated = original
    assert chars > 3.0


# --------------------------------------------------------------------------- equivalence

_OLD_BUDGET_WORD = re.compile(r"[^\s]*[0-9A-Za-z\u00c0-\u024f][^\s]*")
_OLD_SENTENCE_END = re.compile(
    r"[.!?]+[\"')\]]*(?=\s|$)|\n|[\U0001f000-\U0001faff\u2600-\u27bf](?=\s+[A-Za-z])"
)


def _dataset_bodies() -> list[str]:
    return [record["draft"]["body"] for record in labelled_records()]


BODIES = _dataset_bodies()


def _dataset_texts() -> list[str]:
    """Every body, original and untrusted context text of the dataset."""
    texts = []
    for path in sorted(_DATASET.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                context = case.get("context") or {}
                texts.append(case["draft"]["body"])
                texts += [
                    (case.get("original") or {}).get("body") or "",
                    context.get("notes") or "",
                ]
                texts += context.get("prospect_messages") or []
    return [t for t in texts if t]


TEXTS = _dataset_texts()


def _old_is_negated(doc: Doc, start: int) -> bool:
    s_start, _ = doc.sentence_at(start)
    window = doc.norm[s_start:start]
    breaks = list(_patterns._CLAUSE_BREAK.finditer(window))
    if breaks:
        window = window[breaks[-1].end() :]
    tokens = _patterns._TOKEN.findall(window)[-_patterns._NEGATION_WINDOW :]
    if any(t in _patterns._NEGATORS or t.endswith("n't") for t in tokens):
        return True
    return _patterns._CLAUSE_NEGATION.search(window) is not None


def _assert_same(body: str) -> None:
    doc = prepare(body)
    assert doc.words == [m.span() for m in _OLD_BUDGET_WORD.finditer(doc.norm)]
    assert doc.word_count() == len(_OLD_BUDGET_WORD.findall(doc.norm))
    assert prepare(body).word_count() == len(doc.words)  # counted without the spans too
    assert [m.span() for m in _SENTENCE_END.finditer(doc.folded)] == [
        m.span() for m in _OLD_SENTENCE_END.finditer(doc.folded)
    ]
    assert doc.sentences == _segment(doc.folded)
    for start in range(len(doc.norm) + 1):
        assert _patterns.is_negated(doc, start) == _old_is_negated(doc, start), (body, start)


def test_the_dataset_is_whole() -> None:
    assert len(BODIES) > 2_000


@pytest.mark.parametrize("chunk", range(8))
def test_rewritten_pieces_agree_with_the_old_ones_on_the_dataset(chunk: int) -> None:
    for body in BODIES[chunk::8]:
        _assert_same(body)


_SOUP = st.lists(
    st.sampled_from(
        [
            " ",
            "  ",
            "\n",
            "!",
            "!!",
            "...",
            "?",
            '."',
            ")",
            " but ",
            " - ",
            ",",
            ";",
            "(",
            "no ",
            "not ",
            "didn't ",
            "no need to ",
            "don't have to ",
            "15% off",
            "just checking in",
            "a",
            "B",
            "1",
            "$",
            "🙌",
            "é",
            "\t",
            "\u2019",
            "\u2014",
            "x",
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_SOUP | st.text(max_size=200))
def test_rewritten_pieces_agree_with_the_old_ones_on_random_text(body: str) -> None:
    _assert_same(body)
