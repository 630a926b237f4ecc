"""The subject line of an edited email: the rep's own, a thread's prefix always kept.

A subject that offends (checked like a message, minus the next-step rule) is
replaced by the strategy's plain subject; a fresh subject announcing the pitch
the body no longer makes ("Acme demo") is replaced too. A reply thread's
"Re:"/"Fwd:" subject is kept unless it offends, and then its prefix stays.
"""

from __future__ import annotations

import re

from service.analysis_memo import analyze
from service.budget import LengthBudget
from service.editor._cuts import _NOT_CUT
from service.editor._moves import moves
from service.guard import SUBJECT_EXEMPT, blocking_findings
from service.models import Change, Context, Finding, Message, StrategyId


def _change(finding: Finding, before: str, after: str) -> Change:
    return Change(rule=finding.rule, principle=finding.principle, before=before, after=after)


_THREAD = re.compile(r"^\s*((?:(?:re|fwd?|aw|wg|tr|sv)\s*:\s*)+)", re.IGNORECASE)


def edited_subject(
    draft: Message, context: Context | None, strategy: StrategyId, changes: list[Change]
) -> str | None:
    """The rep's subject (a reply thread's prefix always kept) unless it offends."""
    if draft.channel != "email" or not draft.subject:
        return draft.subject if draft.channel == "email" else None
    unlimited = LengthBudget(max_words=None, max_chars=None)
    probe = Message(channel=draft.channel, body=draft.subject)
    analysis = analyze(probe, context=context, original=draft, budget=unlimited)
    blockers = [
        f for f in blocking_findings(analysis, exempt=SUBJECT_EXEMPT) if f.rule not in _NOT_CUT
    ]
    prefix = m.group(1) if (m := _THREAD.match(draft.subject)) else ""
    if not blockers and _empty_subject(draft.subject[len(prefix) :]):
        # "Following up!!!", "Checking in": a subject that says only that this is another
        # message tells the buyer nothing; the strategy's plain subject does.
        replacement = prefix + moves().subjects[strategy]
        changes.append(
            Change(
                rule="empty_check_in",
                principle="value_and_next_step",
                before=draft.subject,
                after=replacement,
            )
        )
        return replacement
    if not blockers:
        # A fresh subject that announces the pitch the body no longer makes ("Acme demo").
        pitch = next((c for c in changes if c.rule == "sales_pitch_meeting"), None)
        if pitch is None or prefix or not _PITCH_SUBJECT.search(draft.subject):
            return draft.subject
        replacement = moves().subjects[strategy]
        changes.append(
            Change(
                rule=pitch.rule, principle=pitch.principle, before=draft.subject, after=replacement
            )
        )
        return replacement
    replacement = prefix + moves().subjects[strategy]
    changes.append(_change(blockers[0], draft.subject, replacement))
    return replacement


_EMPTY_SUBJECT = re.compile(
    r"(?:follow(?:ing)?[- ]?ups?|checking[- ]in|check[- ]in|touching base|circling back"
    r"|bumping (?:this|this up)|any updates?|update|still interested|nudge|reminder)"
    r"(?:\s+(?:again|once more|#?\d+))?[\s!.?\u2026]*+",
    re.IGNORECASE,
)
# Words that may lead such a subject ("Just a quick follow-up"), dropped before the test.
_EMPTY_LEAD = frozenset(
    {"just", "a", "quick", "friendly", "gentle", "another", "one", "more", "small"}
)


def _empty_subject(subject: str) -> bool:
    """'Following up!!!', 'Just a quick follow-up': it says only that this is another message."""
    words = subject.split()
    while words and words[0].lower() in _EMPTY_LEAD:
        words.pop(0)
    return bool(words) and _EMPTY_SUBJECT.fullmatch(" ".join(words)) is not None


_PITCH_SUBJECT = re.compile(
    r"\b(?:demo|presentation|product tour|walkthrough|walk-through|pitch)\b", re.IGNORECASE
)
