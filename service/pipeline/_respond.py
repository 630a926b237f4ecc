"""Shaping the response: the verdict, the before/after analyses and what changed why."""

from __future__ import annotations

import time
import uuid

from service.guard import vet_changes
from service.models import Change, RewriteResponse
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
    """What changed and why, with the real text: `before` as the draft had it, `after` as sent.

    Every entry is vetted (`guard.vet_changes`): its `before` is in the draft, its
    `after` in the checked subject or body, its rule a catalogue id or None.
    """
    draft = plan.request.draft
    if outcome.edits is not None:
        return vet_changes(outcome.edits, draft=draft, sent=outcome.message)
    out: list[Change] = []
    if outcome.message.body == draft.body:
        return out
    sent = f"{outcome.message.subject or ''}\n{outcome.message.body}"
    seen: set[str] = set()
    # The model's own notes are kept only where they are true of the draft and of what is sent.
    for change in vet_changes(outcome.changes_from_model, draft=draft, sent=outcome.message):
        if not change.before:
            continue
        out.append(change)
        if change.rule is not None:
            seen.add(change.rule)
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
