"""The output guard: nothing leaves unchecked. Every blocking rule lives here.

Every candidate message (model output, editor or composer output, a cached
response) is analyzed with the context and the original draft. Any error
finding blocks it, and so do the rules that must never survive whatever their
severity. The subject line is checked as a message of its own (it need not
carry the next step); both also pass a cheap structural check for degenerate
text (`degenerate_text`: echoed prompt or format lines, a phrase repeated,
runs of junk characters, talk about "the buyer" instead of to them). A
`changes` entry may only report text that is really in the draft (`before`)
and really in what is sent (`after`), with a catalogue rule id or none
(`vet_changes`). A draft is judged already good when nothing but its
author's own facts would block it (`draft_blockers`).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from service.analysis import RULES
from service.analysis_memo import analyze
from service.budget import LengthBudget
from service.models import (
    RULE_IDS,
    STRATEGY_IDS,
    Analysis,
    Change,
    Context,
    Finding,
    Message,
)
from service.quoting import own_part

# These block a message even if the analyzer rates them as warnings (or a
# caller lowers their severity): each rule's file says so (`blocks_rewrites`
# in service/analysis/lexicons/). A message must also leave the buyer a light
# next step: without one, a model answer that is a remark about the draft (or
# an echo of the answer format) would pass. The issue #10 rules catch what an
# obeying or broken model writes: its instructions, another recipient or
# signer, a rival run down, the seller's private figures, degenerate text, a
# switch to the language the planted text was in, and phishing bait.
ALWAYS_BLOCKING: frozenset[str] = frozenset(r.id for r in RULES if r.blocks_rewrites)
# The rule id of the structural check below; the analyzer may report it too.
DEGENERATE = "degenerate_text"


@dataclass(frozen=True, slots=True)
class GuardResult:
    analysis: Analysis
    blocking: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.blocking


# A subject line is checked like a message, but it need not carry the next step.
SUBJECT_EXEMPT: frozenset[str] = frozenset({"no_next_step"})
# The draft author's own facts are not "invented": they are ignored when
# deciding whether the draft is already good.
NOT_BLOCKING_IN_DRAFT: frozenset[str] = frozenset({"invented_fact"})
_UNLIMITED = LengthBudget(max_words=None, max_chars=None)


def blocking_findings(
    analysis: Analysis, *, exempt: frozenset[str] = frozenset()
) -> tuple[Finding, ...]:
    """The findings that stop a message from leaving."""
    return tuple(
        f
        for f in analysis.findings
        if (f.severity == "error" or f.rule in ALWAYS_BLOCKING) and f.rule not in exempt
    )


def draft_blockers(analysis: Analysis) -> tuple[Finding, ...]:
    """What would block the draft itself; none means it is already good."""
    return tuple(f for f in blocking_findings(analysis) if f.rule not in NOT_BLOCKING_IN_DRAFT)


def check(
    message: Message, *, context: Context | None, original: Message, budget: LengthBudget
) -> GuardResult:
    """Analyze a candidate (body and subject) against the context and the original draft.

    `analysis` is the body's; `blocking` holds what stops the body, then what stops
    the subject (its messages start with "Subject:", its spans count in the subject).
    """
    # The original's quoted thread, handed back verbatim, is history (quoting.py).
    message = own_part(message, original)
    analysis = analyze(message, context=context, original=original, budget=budget)
    blocking = [*blocking_findings(analysis), *degenerate_findings(message.body, original)]
    if message.subject:  # an empty subject ("" is valid input) has nothing to check
        blocking += _subject_blockers(message, context=context, original=original)
    return GuardResult(analysis=analysis, blocking=tuple(blocking))


def passes(
    message: Message, *, context: Context | None, original: Message, budget: LengthBudget
) -> bool:
    """The body passes the guard, and so does the subject read as a message of its own."""
    return check(message, context=context, original=original, budget=budget).passed


def _subject_blockers(
    message: Message, *, context: Context | None, original: Message
) -> list[Finding]:
    assert message.subject  # noqa: S101 - checked by the caller
    subject = Message(channel=message.channel, body=message.subject)
    analysis = analyze(subject, context=context, original=original, budget=_UNLIMITED)
    found = [
        *blocking_findings(analysis, exempt=SUBJECT_EXEMPT),
        *degenerate_findings(message.subject, original),
    ]
    return [f.model_copy(update={"message": f"Subject: {f.message}"}) for f in found]


def vet_changes(changes: Iterable[Change], *, draft: Message, sent: Message) -> list[Change]:
    """The `changes` entries that are true of this draft and of what is sent.

    A `before` must be text of the draft (empty for an addition), an `after` text of
    the sent subject or body (empty for a cut), so every `after` a client receives
    was checked as part of the message; a rule id outside the catalogue becomes None.
    """
    draft_text = f"{draft.subject or ''}\n{draft.body}"
    fields = [sent.body] if sent.subject is None else [sent.body, sent.subject]
    out: list[Change] = []
    for change in changes:
        if not change.before and not change.after:
            continue
        if change.before and change.before not in draft_text:
            continue
        if change.after and not any(change.after in field for field in fields):
            continue
        if change.rule is not None and change.rule not in _CATALOGUE:
            out.append(change.model_copy(update={"rule": None}))
        else:
            out.append(change)
    return out


_CATALOGUE = frozenset(RULE_IDS)

# ------------------------------------------------------------ degenerate text
# A cheap structural check, linear in the text (no pattern here can backtrack
# past one line): what a weak or broken model writes instead of a message.

# Answer-format tags (one optional run of spaces each side of the slash, so a long
# run of spaces cannot be split two ways) and the changes line ("a | b | c => d").
_FORMAT_TAG = re.compile(r"<\s*(?:/\s*)?(?:body|subject|changes|answer|draft|context)\s*>", re.I)
_ARROWS = ("=>", "->", "\u2192")
# Prompt labels echoed as lines ("Strategy: value_nudge", "Length budget for the body").
_PROMPT_LINE = re.compile(
    r"^[ \t>*-]*(?:strategy|channel|length budget(?: for the body)?|findings|edit scope|draft"
    r"|rule_id|principle_id)[ \t]*:",
    re.I | re.M,
)
# Catalogue ids (snake_case) are ours, never words a rep writes to a buyer.
_IDS = frozenset(i for i in (*RULE_IDS, *STRATEGY_IDS, "rule_id", "principle_id") if "_" in i)
# Tried where a run of letters begins: searched plainly, a long run of letters with no
# "_" after it was re-read from each letter (3.6 s on 20 KB with one "_" elsewhere).
_SNAKE = re.compile(r"(?<![A-Za-z])[A-Za-z]++(?:_[A-Za-z]++)+")
# Talk about the reader in the third person: a note about the message, not the message.
_THIRD_PERSON = re.compile(
    r"\b(?:the|this) (?:buyer|prospect|recipient)\b(?!\s+(?:of|journey|persona)\b)", re.I
)
# Five of the same symbol in a row (signature rules and ellipses are ordinary), a
# replacement character (broken decoding) or a control character.
_JUNK_RUN = re.compile(r"([^\w\s\-.=*])\1{4,}")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_REPEAT_MIN_TIMES = 3  # a word group said three times in a row
_REPEAT_MIN_WORDS = 6  # ... covering at least this many words
_REPEAT_MAX_GROUP = 8
_SENTENCE_MIN_WORDS = 4  # a sentence of this many words said twice
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def degenerate_findings(text: str, original: Message | None = None) -> list[Finding]:
    """The first structural sign that `text` is not a message (what the draft does is allowed).

    The checks run lazily and stop at the first sign: one is enough to block. A pure
    function of the text and the draft's text, remembered for the last few pairs: a
    rewrite checks the same answer when it is attempted and again when it is released.
    """
    draft = None if original is None else f"{original.subject or ''}\n{original.body}"
    return list(_degenerate_against(text, draft))


@lru_cache(maxsize=64)
def _degenerate_against(text: str, draft: str | None) -> tuple[Finding, ...]:
    own: set[str] | None = None
    for finding in _degenerate(text):
        if draft is None:
            return (finding,)
        if own is None:
            own = {f.message for f in _degenerate(draft)}
        if finding.message not in own and finding.excerpt.casefold() not in draft.casefold():
            return (finding,)
    return ()


def _degenerate(text: str) -> Iterator[Finding]:
    if span := _changes_line(text):
        yield _finding("It contains a line in the changes format.", *span, text)
    for pattern, why in (
        (_FORMAT_TAG, "an answer-format tag"),
        (_PROMPT_LINE, "an echoed prompt line"),
        (_THIRD_PERSON, "talk about the reader instead of to them"),
    ):
        if match := pattern.search(text):
            yield _finding(f"It contains {why}.", match.start(), match.end(), text)
    # An id has an underscore: without one, the scan cannot find any.
    ids = (m for m in _SNAKE.finditer(text) if m.group().casefold() in _IDS) if "_" in text else ()
    if first := next(iter(ids), None):
        yield _finding("It contains an internal id.", first.start(), first.end(), text)
    if span := _junk_run(text):
        yield _finding("It contains a run of junk characters.", *span, text)
    if span := _repeated_words(text):
        yield _finding("It repeats the same words over and over.", *span, text)
    if span := _repeated_sentence(text):
        yield _finding("It says the same sentence twice.", *span, text)


def _finding(message: str, start: int, end: int, text: str) -> Finding:
    return Finding(
        rule=DEGENERATE,
        severity="error",
        principle="value_and_next_step",
        message=f"Not a message to the buyer: {message}",
        start=start,
        end=end,
        excerpt=text[start:end][:120],
    )


def _changes_line(text: str) -> tuple[int, int] | None:
    if "|" not in text:  # a changes line has two bars
        return None
    start = 0
    for line in text.split("\n"):
        parts = line.split("|", 2)
        if len(parts) == 3 and any(arrow in parts[2] for arrow in _ARROWS):
            return start, start + len(line)
        start += len(line) + 1
    return None


def _junk_run(text: str) -> tuple[int, int] | None:
    if match := _CONTROL.search(text) or _JUNK_RUN.search(text):
        return match.start(), match.end()
    return None


def _repeated_words(text: str) -> tuple[int, int] | None:
    keys = [w.casefold() for w in _WORD.findall(text)]
    for size in range(1, _REPEAT_MAX_GROUP + 1):
        times = max(_REPEAT_MIN_TIMES, -(-_REPEAT_MIN_WORDS // size))
        need = size * (times - 1)
        # same[j]: word j equals word j + size; `need` of them in a row is a repeated group.
        same = bytes(map(operator.eq, keys, keys[size:]))
        at = same.find(b"\x01" * need)
        if at != -1:
            words = list(_WORD.finditer(text))
            return words[at].start(), words[at + need + size - 1].end()
    return None


def _repeated_sentence(text: str) -> tuple[int, int] | None:
    seen: set[tuple[str, ...]] = set()
    for match in _SENTENCE.finditer(text):
        if len(match.group().split()) < _SENTENCE_MIN_WORDS:
            continue
        key = tuple(w.casefold() for w in _WORD.findall(match.group()))
        if len(key) < _SENTENCE_MIN_WORDS:
            continue
        if key in seen:
            return match.start(), match.end()
        seen.add(key)
    return None
