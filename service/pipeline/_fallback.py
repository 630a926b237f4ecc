"""The deterministic path: what the user gets when no model answer can be used.

A good draft is kept as written; any other draft goes to the draft-preserving
editor, which keeps the rep's own message and fixes only what offends (or,
when nothing in the draft is worth keeping, has the composer write from the
context in the rep's own greeting and sign-off).
"""

from __future__ import annotations

from service.analysis_memo import analyze
from service.editor import polish
from service.guard import check
from service.models import Message, Source
from service.pipeline._plan import Outcome, Plan


def fallback(plan: Plan, reason: str | None) -> Outcome:
    """The deterministic answer; `reason` says why no model answer is delivered.

    None means no model is configured, which is not a degradation: the response's
    `source` ("editor" or "composer") alone says which path wrote the message.
    """
    request = plan.request
    if plan.already_good:
        # A good draft is kept, at most lightly polished (a filler check-in or a boast cut).
        polished = polish(
            request.draft,
            context=request.context,
            budget=plan.budget,
            before=plan.before,
            strategy=plan.strategy.id,
        )
        message, edits = polished.message, polished.changes
        source: Source = "editor"
        if reason is not None:
            reason = (
                f"{reason} Your draft already follows the principles, so it was kept "
                "(lightly polished at most)."
            )
    else:
        result = plan.edit()
        message, edits = result.message, result.changes
        source = "editor" if result.kept_content else "composer"
        if plan.substance_items is None:
            plan.substance_items = result.kept_items
    after = analyze(message, context=request.context, original=request.draft, budget=plan.budget)
    outcome = Outcome(message, source, after, degraded_reason=reason, edits=edits)
    if request.options.variants > 1 and not plan.already_good:
        outcome.variants = edited_variants(plan, message)
    return outcome


def edited_variants(plan: Plan, first: Message) -> list[Message]:
    """Other phrasings of the strategy's move around the same kept text, each checked."""
    request, seen = plan.request, {first.body}
    out: list[Message] = []
    for i in range(1, 4 * request.options.variants):
        if len(out) >= request.options.variants - 1:
            break
        result = plan.edit(seed=f"{request.draft.body}#{i}", variant=i)
        if result.message.body in seen:
            continue
        verdict = check(
            result.message, context=request.context, original=request.draft, budget=plan.budget
        )
        if verdict.passed:
            seen.add(result.message.body)
            out.append(result.message)
    return out
