"""The output guard: nothing leaves unchecked. Every blocking rule lives here.

Every candidate message (model output or composer output) is analyzed with the
context and the original draft. Any error finding blocks it, and so do the
rules that must never survive whatever their severity. A subject line is
checked as a message of its own (`passes`); a draft is judged already good
when nothing but its author's own facts would block it (`draft_blockers`).
"""

from __future__ import annotations

from dataclasses import dataclass

from service.analysis import analyze
from service.budget import LengthBudget
from service.models import Analysis, Context, Finding, Message

# These block a message even if the analyzer rates them as warnings (or a
# caller lowers their severity). A message must also leave the buyer a light
# next step: without one, a model answer that is a remark about the draft (or
# an echo of the answer format) would pass. The issue #10 rules catch what an
# obeying or broken model writes: its instructions, another recipient or
# signer, a rival run down, the seller's private figures, degenerate text.
ALWAYS_BLOCKING: frozenset[str] = frozenset(
    {
        "invented_fact",
        "placeholder",
        "too_long",
        "no_next_step",
        "prompt_disclosure",
        "changed_party",
        "disparagement",
        "private_detail",
        "degenerate_text",
    }
)


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
    """Analyze a candidate against the context and the original draft."""
    analysis = analyze(message, context=context, original=original, budget=budget)
    return GuardResult(analysis=analysis, blocking=blocking_findings(analysis))


def passes(
    message: Message, *, context: Context | None, original: Message, budget: LengthBudget
) -> bool:
    """The body passes the guard, and so does the subject read as a message of its own."""
    if not check(message, context=context, original=original, budget=budget).passed:
        return False
    if message.subject is None:
        return True
    subject = Message(channel=message.channel, body=message.subject)
    unlimited = LengthBudget(max_words=None, max_chars=None)
    analysis = analyze(subject, context=context, original=original, budget=unlimited)
    return not blocking_findings(analysis, exempt=SUBJECT_EXEMPT)
