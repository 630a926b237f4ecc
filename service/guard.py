"""The output guard: nothing leaves unchecked.

Every candidate message (model output or composer output) is analyzed with the
context and the original draft. Any error finding blocks it, and so do the
rules that must never survive whatever their severity.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.analysis import analyze
from service.budget import LengthBudget
from service.models import Analysis, Context, Finding, Message

# These block a message even if the analyzer rates them as warnings. A message
# must also leave the buyer a light next step: without one, a model answer that
# is a remark about the draft (or an echo of the answer format) would pass.
ALWAYS_BLOCKING: frozenset[str] = frozenset(
    {"invented_fact", "placeholder", "too_long", "no_next_step"}
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


def blocking_findings(
    analysis: Analysis, *, exempt: frozenset[str] = frozenset()
) -> tuple[Finding, ...]:
    return tuple(
        f
        for f in analysis.findings
        if (f.severity == "error" or f.rule in ALWAYS_BLOCKING) and f.rule not in exempt
    )


def check(
    message: Message, *, context: Context | None, original: Message, budget: LengthBudget
) -> GuardResult:
    analysis = analyze(message, context=context, original=original, budget=budget)
    return GuardResult(analysis=analysis, blocking=blocking_findings(analysis))
