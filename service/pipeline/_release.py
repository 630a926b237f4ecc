"""Release: the last check before anything leaves, whichever path wrote it.

The model path, the editor, the composer and the cache all end here: the
message (body and subject) must pass the guard, each variant must pass it or
is dropped, and `changes` keeps only entries true of the draft and of what is
sent (`guard.vet_changes`). A cached response is served unchecked only when
this process sealed it after `verified` accepted it (`_cache.py`); any other
entry is re-checked with the current guard before it is served, so an entry
written before a rule was added (or by another replica, or by anything but
this pipeline) is never replayed unchecked.
"""

from __future__ import annotations

from service.budget import budget_for
from service.composer import compose
from service.errors import InvalidInput
from service.guard import check, passes, vet_changes
from service.models import Message, RewriteRequest, RewriteResponse
from service.pipeline._fallback import fallback
from service.pipeline._plan import Outcome, Plan


class NoSafeMessage(InvalidInput):
    """No path could write a message for this draft that passes the guard (422)."""


def released(plan: Plan, outcome: Outcome) -> Outcome:
    """The outcome with every field checked; a failing message falls back, then is refused.

    Raises:
        NoSafeMessage: not even the composer's message passes (nothing unchecked is sent).
    """
    kept = _release(plan, outcome)
    if kept is None and outcome.source == "model":
        replacement = fallback(plan, "The model's answer failed the final check.")
        replacement.usage = outcome.usage
        kept = _release(plan, replacement)
    if kept is None:
        kept = _release(plan, _composed(plan, outcome))
    if kept is None:
        raise NoSafeMessage(
            "No message that passes the checks could be written for this draft; "
            "edit the draft or the context and try again."
        )
    return kept


def _release(plan: Plan, outcome: Outcome) -> Outcome | None:
    request = plan.request
    verdict = check(
        outcome.message, context=request.context, original=request.draft, budget=plan.budget
    )
    if not verdict.passed:
        return None
    variants: list[Message] = []
    for variant in outcome.variants:
        if variant.body == outcome.message.body or any(v.body == variant.body for v in variants):
            continue
        if passes(variant, context=request.context, original=request.draft, budget=plan.budget):
            variants.append(variant)
    outcome.variants = variants
    return outcome


def _composed(plan: Plan, failed: Outcome) -> Outcome:
    """The composer's message, written from the trusted context alone."""
    request = plan.request
    message = compose(
        strategy=plan.strategy.id,
        channel=request.draft.channel,
        context=request.context,
        draft=request.draft,
        budget=plan.budget,
    )
    verdict = check(message, context=request.context, original=request.draft, budget=plan.budget)
    reason = failed.degraded_reason or "The delivered message failed the final check."
    return Outcome(
        message,
        "composer",
        verdict.analysis,
        usage=failed.usage,
        degraded_reason=reason,
    )


def verified(request: RewriteRequest, response: RewriteResponse) -> bool:
    """A stored response still passes every check for this request (else it is a miss)."""
    draft, budget = request.draft, budget_for(request.draft.channel, request.options)
    messages = [response.rewrite, *(v for v in response.variants if v != response.rewrite)]
    for message in messages:
        if message.channel != draft.channel or not passes(
            message, context=request.context, original=draft, budget=budget
        ):
            return False
    return vet_changes(response.changes, draft=draft, sent=response.rewrite) == response.changes
