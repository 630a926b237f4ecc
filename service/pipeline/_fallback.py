"""The deterministic path: what the user gets when the model cannot be used.

One function, so the draft-preserving editor can take the composer's place here.
"""

from __future__ import annotations

from service.analysis import analyze
from service.composer import compose
from service.pipeline._plan import Outcome, Plan


def fallback(plan: Plan, reason: str) -> Outcome:
    """Keep a good draft as it is, or compose a message; `reason` says why."""
    request = plan.request
    if plan.already_good:
        message = request.draft
        reason = f"{reason} Your draft already follows the principles, so it was kept as written."
    else:
        message = compose(
            strategy=plan.strategy.id,
            channel=request.draft.channel,
            context=request.context,
            draft=request.draft,
            budget=plan.budget,
        )
    after = analyze(message, context=request.context, original=request.draft, budget=plan.budget)
    return Outcome(message, "composer", after, degraded_reason=reason)
