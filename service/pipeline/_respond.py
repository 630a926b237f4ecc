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
        source="composer" if outcome.source == "composer" else "model",
        repaired=outcome.repaired,
        degraded_reason=outcome.degraded_reason,
        model=model,
        prompt_version=prompt_version,
        usage=outcome.usage,
        cached=False,
        latency_ms=ms_since(started),
    )


def changes(plan: Plan, outcome: Outcome) -> list[Change]:
    """What changed and why: resolved findings first, then the model's own notes."""
    out: list[Change] = []
    if outcome.message.body == plan.request.draft.body:
        return out
    remaining = outcome.after.rules()
    seen: set[str] = set()
    for finding in plan.before.findings:
        if finding.rule in remaining or finding.rule in seen:
            continue
        seen.add(finding.rule)
        out.append(
            Change(
                rule=finding.rule,
                principle=finding.principle,
                before=finding.excerpt,
                after="(rewritten: " + finding.message.rstrip(".") + ")",
            )
        )
    draft_body = plan.request.draft.body
    for change in outcome.changes_from_model:
        if change.rule is not None and change.rule not in RULE_IDS:
            change = change.model_copy(update={"rule": None})
        if change.rule in seen or not change.before or change.before not in draft_body:
            continue
        out.append(change)
    return out


def ms_since(started: float) -> float:
    """Milliseconds since a perf_counter reading, rounded for the response."""
    return round((time.perf_counter() - started) * 1000, 2)
