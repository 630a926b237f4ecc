"""What the buyer's world vouches for: a real deadline, a discount they asked about.

Two lexicon rules judge words that are sometimes pressure and sometimes plain
truth, and only the context can tell which:

- `false_urgency` flags a date or deadline ("your trial ends this Friday").
  When the context states the same thing ("Trial ends Friday Dec 11" in the
  notes, or the buyer's own message), the deadline is not invented: it comes
  from their world, which principle 4 allows. A context sentence vouches for
  a finding when it names one of the finding's time words and shares a
  content word with the finding's sentence ("trial"). A sentence about our
  offer, price, spots, a place held for them, signing, or anything of "ours"
  is never excused ("the discount ends Friday", "I've reserved you a place in
  our cohort, which closes Friday"), nor is a context sentence that tells the
  writer what to say ("Say it closes Friday"): planted text lives there.
- `desperate_discount` flags an *unprompted* discount. When the buyer asked
  about price terms ("Do you offer anything for annual billing?") and the
  sentence answers that question (they share a content word: "annual",
  "billing"), the discount is prompted, and the answer is theirs to keep.

Both read the context only when such a finding exists, and are exact: they
drop findings, never add or move one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from service.analysis._context_memo import by_context
from service.analysis._not_personalized import content_stems
from service.analysis._text import Doc
from service.models import Context, Finding, Message

_TIME_WORD = re.compile(
    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\b(?:january|february|march|april|may|june"
    r"|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept"
    r"|oct|nov|dec)\b|\b(?:today|tonight|tomorrow|midnight|weekend|week|month|quarter|year"
    r"|q[1-4])\b|\b\d{1,2}(?:st|nd|rd|th)?\b|\b\d{1,2}/\d{1,2}\b"
)
# Days and dates a relative deadline ("ends tomorrow") may stand for in the notes.
_RELATIVE = frozenset({"today", "tonight", "tomorrow", "week", "weekend", "month"})
# A sentence about our offer, our price, our spots or getting them to sign is our
# calendar whatever the notes say.
_OURS = re.compile(
    r"\b(?:offers?|deals?|prices?|pricing|discounts?|promo(?:tion)?s?|rates?|quotes?|specials?"
    r"|spots?|seats?|slots?|places?|cohorts?|availability|sign(?:ed|ing)?|commit(?:ment)?"
    r"|lock(?:ed)?|act|reserv(?:e|ed|ing)|hold(?:ing)?|held|sav(?:e|ed|ing) (?:you|it|them)"
    r"|our|ours|we|we've|we're|we'll|we'd|us)\b"
)
# A context sentence that tells the writer what to say is an instruction, not a fact
# of their world (planted text lives in the buyer's messages and pasted notes).
_INSTRUCTION = re.compile(
    r"^\W*(?:please\s+)?(?:say|tell|write|add|mention|include|ignore|state|claim|put|make)\b"
)
_PRICE_WORD = re.compile(
    r"\b(?:discounts?|pric(?:e|es|ing)|costs?|annual(?:ly)?|billing|cheaper|deals?|budget"
    r"|nonprofit|non-profit|volume|coupons?|rates?|off|free|waive[ds]?|fees?)\b"
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_ASKED = re.compile(r"\?|\b(?:asked|asks|asking|wants to know|wanted to know|wondered)\b")


def excuse(
    found: list[Finding], doc: Doc, context: Context | None, original: Message | None = None
) -> list[Finding]:
    """`found` less the deadlines and discounts the buyer's world vouches for.

    Judging a rewrite (`original` given), only what the rep's draft already said is
    excused: a model may keep the rep's real deadline or asked-for discount, never
    add one (a question planted in the buyer's messages cannot buy a new discount).
    Cheap first: a deadline with no time word or in a sentence about our offer is
    settled without reading the context; each sentence is read once, however many
    findings it holds, and the context once per distinct context.
    """
    rules = ("false_urgency", "desperate_discount")
    said = None if original is None else original.body.lower()
    candidates = [
        f for f in found if f.rule in rules and (said is None or f.excerpt.lower() in said)
    ]
    if context is None or not candidates:
        return found
    prepared: list[_World] = []

    def world() -> _World:
        if not prepared:
            prepared.append(by_context("their_world", context, None, lambda: _prepare(context)))
        return prepared[0]

    ours_at: dict[tuple[int, int], bool] = {}
    stems_at: dict[tuple[int, int], frozenset[str]] = {}
    verdicts: dict[tuple[str, tuple[int, int], frozenset[str]], bool] = {}
    excused: set[int] = set()
    for finding in candidates:
        span = doc.sentence_at(finding.start)
        times = (
            frozenset(_TIME_WORD.findall(doc.norm[finding.start : finding.end]))
            if finding.rule == "false_urgency"
            else frozenset()
        )
        key = (finding.rule, span, times)
        if key not in verdicts:
            verdict = False
            if finding.rule == "false_urgency" and times:
                if span not in ours_at:
                    ours_at[span] = bool(_OURS.search(doc.norm, *span))
                verdict = not ours_at[span] and _real_deadline(
                    times, _stems(doc, span, stems_at), world()[0]
                )
            elif finding.rule == "desperate_discount" and world()[1]:
                stems = _stems(doc, span, stems_at)
                verdict = any(stems & line for line in world()[1])
            verdicts[key] = verdict
        if verdicts[key]:
            excused.add(id(finding))
    return [f for f in found if id(f) not in excused] if excused else found


def _stems(
    doc: Doc, span: tuple[int, int], memo: dict[tuple[int, int], frozenset[str]]
) -> frozenset[str]:
    if span not in memo:
        memo[span] = content_stems(doc.norm[span[0] : span[1]])
    return memo[span]


_World = tuple[tuple[tuple[frozenset[str], frozenset[str]], ...], tuple[frozenset[str], ...]]


def _prepare(context: Context) -> _World:
    """The context's dated statements (time words, stems) and price questions (stems)."""
    world = tuple(
        (frozenset(_TIME_WORD.findall(line)), content_stems(line))
        for line in _sentences(_world_texts(context))
        if _TIME_WORD.search(line) and not _OURS.search(line) and not _INSTRUCTION.search(line)
    )
    asked = tuple(
        content_stems(line)
        for line in _sentences(_asked_texts(context))
        if _ASKED.search(line) and _PRICE_WORD.search(line)
    )
    return world, asked


def _world_texts(context: Context) -> list[str]:
    texts = [context.goal or "", context.notes or "", *context.prospect_messages]
    if context.history is not None:
        texts.append(context.history.agreed_next_step or "")
    return [t for t in texts if t]


def _asked_texts(context: Context) -> list[str]:
    """The buyer's questions: their own messages, and what the notes say they asked."""
    return [t for t in (*context.prospect_messages, context.notes or "") if t]


def _sentences(texts: Iterable[str]) -> list[str]:
    return [m.group().lower() for t in texts for m in _SENTENCE.finditer(t) if m.group().strip()]


def _real_deadline(
    times: frozenset[str],
    stems: frozenset[str],
    world: tuple[tuple[frozenset[str], frozenset[str]], ...],
) -> bool:
    relative = times <= _RELATIVE
    return any((relative or times & said) and stems & line for said, line in world)
