"""The draft-preserving editor: the rep's own message, made tactful.

Everything in the draft that breaks no principle stays, in the rep's words
and order. A finding that must not survive is cut at the smallest unit that
removes it (a clause, else its sentence); a pushy close or a pitch-meeting
ask is replaced by the strategy's light question; the strategy's move is
added where the kept text lacks it. The result goes through the same check
as every other output; what still fails is cut, and a draft with nothing
left to keep is handed to the composer (with the rep's greeting and
sign-off). Same input, same output: no randomness, no clock, no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from service.analysis_memo import analyze
from service.budget import LengthBudget
from service.editor._changes import (
    addition,
    change_for,
    record_learned,
    record_question,
    settle,
)
from service.editor._cuts import (
    _BOAST,
    _CUT_WARNINGS,
    _MAX_ROUNDS,
    _NOT_CUT,
    ASK_RULES,
    _apply,
    _sentence_cut,
    check_in_topic,
    loses_substance,
    their_words,
)
from service.editor._fixes import _fill_placeholder, _local_fix, mend
from service.editor._items import Item, find_items
from service.editor._moves import moves, opener_for, question_for
from service.editor._notes import learned
from service.editor._parse import find_frame, sentences
from service.editor._subject import edited_subject
from service.editor._tidy import tidy
from service.editor._trim import trim_one
from service.guard import blocking_findings
from service.models import (
    MAX_BODY_CHARS,
    Analysis,
    Change,
    Context,
    Finding,
    Message,
    StrategyId,
)


# Findings the editor leaves to other steps: facts are the rep's own in a
# draft, length and a missing next step are settled on the whole message.
@dataclass(slots=True)
class EditResult:
    """The edited message, what changed, and whether the draft had anything to keep."""

    message: Message
    changes: list[Change] = field(default_factory=list)
    kept_items: list[Item] = field(default_factory=list)
    # False when every sentence of the draft was an offence: the composer then writes.
    kept_content: bool = True


@dataclass(frozen=True, slots=True)
class _Cut:
    start: int
    end: int
    text: str  # the replacement ("" to remove)
    finding: Finding


def _names(context: Context | None) -> list[str]:
    if context is None or context.prospect is None or not context.prospect.name:
        return []
    return [context.prospect.name]


def _signers(context: Context | None) -> list[str]:
    if context is None or context.sender is None or not context.sender.name:
        return []
    return [context.sender.name]


# Kept text shorter than this, with no item and no question, is not worth keeping.
MIN_KEPT_WORDS = 7


class _Draft:
    """The body being edited, its frame re-found after every change."""

    def __init__(self, body: str, names: list[str], signers: list[str]) -> None:
        self.names, self.signers = names, signers
        self.body = body
        self.frame = find_frame(body, names, signers)

    def set(self, body: str) -> None:
        self.body = body
        self.frame = find_frame(body, self.names, self.signers)

    @property
    def content(self) -> str:
        return self.body[self.frame.greeting_end : self.frame.signoff_start]

    def content_sentences(self) -> list[tuple[int, int]]:
        return sentences(self.body, self.frame.greeting_end, self.frame.signoff_start)


def _first_cuts(
    doc: _Draft, findings: list[Finding], context: Context | None
) -> tuple[list[tuple[int, int, str]], list[Change]]:
    """Cuts for the draft's own findings, one per sentence (clause-level where possible)."""
    body = doc.body
    cuts: list[tuple[int, int, str]] = []
    changes: list[Change] = []
    theirs: frozenset[str] | None = None  # read from the context when a warning needs it
    by_sentence: dict[tuple[int, int], list[Finding]] = {}
    spans = doc.content_sentences()
    for finding in findings:
        span = next((s for s in spans if s[0] <= finding.start < s[1]), None)
        if span is None:
            # In the greeting or sign-off: only a placeholder is touched there.
            if finding.rule == "placeholder":
                fill = _fill_placeholder(finding.excerpt, context) or ""
                cuts.append((finding.start, finding.end, fill))
                changes.append(change_for(finding, finding.excerpt, fill))
            continue
        by_sentence.setdefault(span, []).append(finding)
    for span, hits in by_sentence.items():
        local = [_local_fix(f, context) for f in hits]
        if all(fix is not None for fix in local):
            # Only buzzwords with a swap and fillable slots: fix the words, keep the sentence.
            for finding, fix in zip(hits, local, strict=True):
                assert fix is not None  # noqa: S101 - checked above
                cuts.append((finding.start, finding.end, fix))
                changes.append(change_for(finding, finding.excerpt, fix))
            continue
        rest = [f for f, fix in zip(hits, local, strict=True) if fix is None]
        fixes = [(f, fix) for f, fix in zip(hits, local, strict=True) if fix is not None]
        sentence = body[span[0] : span[1]]
        topic = check_in_topic(sentence) if all(f.rule == "empty_check_in" for f in hits) else None
        if topic is not None and topic[0] > 0:
            # "Carol from PrintPoint, just circling back on the signage proposal." keeps
            # "about the signage proposal": the check-in goes, what it was about stays.
            a, b, about = topic
            covered = all(span[0] + a <= f.start and f.end <= span[0] + b for f in hits)
            if covered:
                cuts.append((span[0] + a, span[0] + b, about))
                changes.append(change_for(hits[0], sentence[a:b], about))
                continue
        # Word fixes (a swap, a slot, a rush word) are made where the other hits' cut
        # leaves them standing; if it takes one whole, every hit is cut as before.
        mended = mend(_sentence_cut(body, span, rest, ""), fixes)
        if mended is None:
            mended = (_sentence_cut(body, span, hits, ""), [])
        else:
            hits = rest
        (start, end, text), outside = mended
        for finding, fix in outside:
            cuts.append((finding.start, finding.end, fix))
            changes.append(change_for(finding, finding.excerpt, fix))
        serious = [f for f in hits if f.severity == "error"]
        if not serious and not _BOAST.search(sentence):
            theirs = their_words(context) if theirs is None else theirs
            if loses_substance(sentence, text, theirs):
                continue  # a warning costs no item or named thing (a boast's are no loss)
        cuts.append((start, end, text))
        lead = min(hits, key=lambda f: (f.rule not in ASK_RULES, f.severity != "error", f.start))
        changes.append(change_for(lead, body[start:end], text))
    return cuts, changes


_ENDS_A_SENTENCE = (".", "!", "?", "\u2026", ")", '"', "'", "\u201d", "\u2019", ":", ",")


def _add_question(doc: _Draft, question: str, channel: str) -> None:
    body, frame = doc.body, doc.frame
    if channel == "voicemail":
        # A spoken message ends on the callback number: the question goes before it.
        spans = doc.content_sentences()
        if len(spans) > 1:
            start, end = spans[-1]
            if any(i.kind == "phone" for i in find_items(body[start:end])):
                doc.set(tidy(f"{body[:start]}{question} {body[start:]}"))
                return
    at = frame.additions_at
    head = body[:at].rstrip()
    tail = body[at:]
    sep = "\n\n" if channel == "email" and "\n\n" in head[frame.greeting_end :].strip() else " "
    if frame.greeting_end and head == body[: frame.greeting_end].rstrip():
        sep = "\n\n" if channel == "email" else " "
    elif sep == " " and head and not head.endswith(_ENDS_A_SENTENCE):
        # "Upgrade here: https://app.tasko.io/upgrade" ends no sentence: the question
        # starts a line of its own instead of running on after the link.
        sep = "\n\n" if channel == "email" else "\n"
    gap = (
        "\n\n"
        if tail.strip() and channel == "email"
        else (
            " " if tail.strip() and "\n" not in body[at - 2 : at] else "\n" if tail.strip() else ""
        )
    )
    doc.set(tidy(f"{head}{sep}{question}{gap}{tail.lstrip()}"))


_INTRO = re.compile(
    r"\s*(?:(?:this is|it['\u2019]s|it is|i['\u2019]m|i am)"
    r"\s+[A-Z][\w'\u2019-]*(?:\s[A-Z][\w'\u2019-]*)?"
    r"(?:\s+(?:calling\s+)?(?:from|at|with|of|over at)\s+[\w&'\u2019. -]{1,40}?)?"
    r"|[A-Z][\w'-]*(?:\s[A-Z][\w'-]*)?\s+(?:from|at|with|w/|@)\s+[\w&'.-]+(?:\s[\w&'.-]+){0,3}?(?:\s+here)?"
    r"|[A-Z][\w'-]*\s+here)[.,!]\s*",
)


def _add_opener(doc: _Draft, opener: str) -> str:
    """Put `opener` after the greeting (and a spoken self-introduction); returns it as
    written there (lower-cased when it continues the greeting's line).
    """
    body, frame = doc.body, doc.frame
    at = frame.greeting_end
    # A voicemail or text says who is calling first: the opener comes after that.
    if (intro := _INTRO.match(body, at)) is not None:
        at = intro.end()
    head, rest = body[:at], body[at:]
    inline = head.rstrip().endswith(",") and "\n" not in body[frame.greeting_end - 1 : at + 1]
    if inline and not opener.startswith(("I ", "I'")):
        # "yo Dev, if things have changed ...": the sentence continues the greeting's line.
        opener = opener[0].lower() + opener[1:]
    rest = rest.lstrip()
    if opener.rstrip().endswith((".", "?", "!")) and rest[:1].islower():
        # "Hi Jo, it's Lena from Onramp." with the opener before "it's": a new sentence.
        rest = rest[0].upper() + rest[1:]
    lead = re.match(r"\s*", body[at:])
    space = lead.group(0) if lead and lead.group(0) else " "
    doc.set(tidy(f"{head.rstrip()}{space if head else ''}{opener} {rest}"))
    return opener


# A next step the rep already gives: a number to call, a confirmed time, a booking link.
_CONCRETE = re.compile(
    r"\b(?:call|text|ring|reach|phone) (?:me|us)\b[^.!?\n]{0,40}\d{3}"
    r"|\b(?:is|are|was) (?:confirmed|booked|set|scheduled) for\b|\bsee you (?:on|at|then|there)\b"
    r"|\b(?:book|grab|pick|choose) (?:a|any) (?:time|slot)\b",
    re.IGNORECASE,
)


def _concrete_step(text: str) -> bool:
    return bool(_CONCRETE.search(text))


def _has_question(text: str) -> bool:
    return "?" in text


def _worth_keeping(text: str) -> bool:
    """Whether kept text says anything beyond pleasantries."""
    if find_items(text):
        return True
    low = text.lower()
    for pattern in moves().filler:
        low = re.sub(pattern, " ", low)
    return len(re.findall(r"\w+", low)) >= MIN_KEPT_WORDS


def _trim_one(doc: _Draft, protected: set[str]) -> Change | None:
    """Drop the content sentence that costs the reader least (too long; see _trim.py)."""
    trimmed = trim_one(doc.body, doc.content_sentences(), protected)
    if trimmed is None:
        return None
    body, change = trimmed
    doc.set(body)
    return change


def edit_body(
    draft: Message,
    *,
    context: Context | None,
    strategy: StrategyId,
    budget: LengthBudget,
    before: Analysis,
    seed: str | None = None,
) -> EditResult:
    """Cut and replace what breaks a principle; keep everything else as the rep wrote it."""
    seed = draft.body if seed is None else seed
    question = question_for(strategy, draft.channel, seed)
    doc = _Draft(draft.body, _names(context), _signers(context))
    cuts, changes = _first_cuts(doc, _to_cut(before), context)
    doc.set(_apply(doc.body, cuts))
    said = learned(context) if any(c.rule == "empty_check_in" for c in changes) else None
    if said is not None and said not in doc.body:
        # What the buyer told the rep takes the empty check-in's place (cut again if it offends).
        record_learned(changes, _add_opener(doc, said))
    if not _worth_keeping(doc.content):
        return EditResult(draft, changes, kept_content=False)
    added: set[str] = set()
    move = moves().strategies[strategy]
    made = move.made(doc.body)  # by the rep's own words, before we add anything
    opener = opener_for(strategy, seed, draft.channel)
    if opener and not made:
        if move.placement == "end":
            _add_question(doc, opener, draft.channel)  # before the closing question
        else:
            opener = _add_opener(doc, opener)
        changes.append(addition(strategy, opener))
        added.add(opener)
    subject = edited_subject(draft, context, strategy, changes)
    asked = False
    for _ in range(_MAX_ROUNDS):
        if len(doc.body) > MAX_BODY_CHARS or not doc.body.strip():
            # A draft at the size limit has no room for the move or the question, and
            # one whose every sentence was cut has nothing left to send ("a a a ...
            # Just checking in ASAP. a a a ...": the repeats are degenerate text): write
            # the message from the context instead (both were 500s).
            return EditResult(draft, changes, kept_content=False)
        message = Message(channel=draft.channel, subject=subject, body=doc.body)
        analysis = analyze(message, context=context, original=draft, budget=budget)
        blockers = blocking_findings(analysis)
        needs_ask = (
            not asked
            and not _has_question(doc.content)
            and (
                "no_next_step" in analysis.rules()
                or (
                    any(c.rule in ASK_RULES for c in changes)
                    and not (move.kept_step_suffices and _concrete_step(doc.content))
                )
                # The strategy's move ends on one light question: a kept "call me back"
                # or "let me know" does not make it, unless it is a concrete step and the
                # strategy says that is enough (moves.toml: kept_step_suffices).
                or (not made and not (move.kept_step_suffices and _concrete_step(doc.content)))
            )
        )
        if needs_ask:
            _add_question(doc, question, draft.channel)
            record_question(changes, strategy, question, doc.body)
            added.add(question)
            asked = True
            continue
        if not blockers:
            settled = settle(changes, draft, message)
            return EditResult(message, settled, kept_items=_kept(draft.body, doc.body))
        if not _repair(doc, blockers, changes, added):
            break
    return EditResult(draft, changes, kept_content=False)


def _to_cut(before: Analysis) -> list[Finding]:
    """The draft's findings the editor removes: errors, and the pitch and buzzword warnings."""
    return [
        f
        for f in before.findings
        if f.rule not in _NOT_CUT and (f.severity == "error" or f.rule in _CUT_WARNINGS)
    ]


def _repair(
    doc: _Draft, blockers: tuple[Finding, ...], changes: list[Change], added: set[str]
) -> bool:
    """One round of fixes for what the check still finds; False when nothing more can be done."""
    spans = doc.content_sentences()
    for finding in blockers:
        if finding.rule in ("too_long", "no_next_step"):
            continue
        span = next((s for s in spans if s[0] <= finding.start < s[1]), None)
        if span is None or doc.body[span[0] : span[1]] in added:
            return False
        before = doc.body[span[0] : span[1]]
        doc.set(_apply(doc.body, [(span[0], span[1], "")]))
        changes.append(change_for(finding, before, ""))
        return True
    rules = {f.rule for f in blockers}
    if "too_long" in rules and (change := _trim_one(doc, added)) is not None:
        changes.append(change)
        return True
    return False


def _kept(draft_body: str, body: str) -> list[Item]:
    present = {i.key for i in find_items(body)}
    return [i for i in find_items(draft_body) if i.key in present]
