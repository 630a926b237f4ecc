"""Shaping the response: the verdict, the before/after analyses and what changed why."""

from __future__ import annotations

import time
import uuid

from service.models import RULE_IDS, Change, RewriteResponse
from service.pipeline._plan import Outcome, Plan


def respond(
    plan: Plan, outcome: Outcome, *, started: float, model: str, prompt_version: str
) -> RewriteResponse:
    """The response for a finished rewrite (`started` is a perf_counter reading)."""
    return RewriteResponse(
        id=f"rw_{uuid.uuid4().hex}",
        strategy=plan.strategy,
        rewrite=outcome.message,
        variants=[outcome.message, *outcome.variants],
        changes=changes(plan, outcome),
        before=plan.before,
        after=outcome.after,
        verdict="already_good" if plan.already_good else "rewritten",
        source=outcome.source,
        repaired=outcome.repaired,
        degraded_reason=outcome.degraded_reason,
        model=model,
        prompt_version=prompt_version,
        usage=outcome.usage,
        cached=False,
        latency_ms=ms_since(started),
    )


def changes(plan: Plan, outcome: Outcome) -> list[Change]:
    """What changed and why, with the real text: `before` as the draft had it, `after` as sent."""
    if outcome.edits is not None:
        return outcome.edits
    out: list[Change] = []
    draft_body = plan.request.draft.body
    if outcome.message.body == draft_body:
        return out
    sent = f"{outcome.message.subject or ''}\n{outcome.message.body}"
    seen: set[str] = set()
    for change in outcome.changes_from_model:
        rule = change.rule if change.rule in RULE_IDS else None
        # The model's own notes are kept only where they are true of what is sent.
        if not change.before or change.before not in draft_body:
            continue
        if change.after and change.after not in sent:
            continue
        out.append(change.model_copy(update={"rule": rule}))
        if rule is not None:
            seen.add(rule)
    remaining = outcome.after.rules()
    for finding in plan.before.findings:
        if finding.rule in remaining or finding.rule in seen or finding.excerpt in sent:
            continue
        seen.add(finding.rule)
        out.append(
            Change(rule=finding.rule, principle=finding.principle, before=finding.excerpt, after="")
        )
    return out


def ms_since(started: float) -> float:
    """Milliseconds since a perf_counter reading, rounded for the response."""
    return round((time.perf_counter() - started) * 1000, 2)
