"""Every change the editor reports is true of the draft and of the message it returns.

`changes` is what a UI shows as "what changed and why": each `before` must be
text of the draft and each `after` text of the returned subject or body, or
the response's vetting (`guard.vet_changes`) drops it and the user is told
nothing changed while the message did. Checked on every draft of the labelled
analyzer dataset and the preserve suite, with the strategy the plan picks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from service.guard import vet_changes
from service.models import RewriteRequest
from service.pipeline._plan import make_plan

pytestmark = pytest.mark.unit

_EVALS = Path(__file__).resolve().parents[2] / "evals"


def _requests() -> list[RewriteRequest]:
    out: list[RewriteRequest] = []
    paths = [*sorted((_EVALS / "analyzer").glob("*.jsonl")), _EVALS / "preserve" / "cases.jsonl"]
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            case: dict[str, Any] = json.loads(line)
            body = case.get("request", case)
            if isinstance(body.get("draft"), dict):
                out.append(
                    RewriteRequest.model_validate(
                        {"draft": body["draft"], "context": body.get("context")}
                    )
                )
    return out


def test_every_edit_change_is_text_of_the_draft_and_of_the_message() -> None:
    edited = changed = 0
    for request in _requests():
        plan = make_plan(request)
        if plan.already_good:
            continue
        result = plan.edit()
        if not result.kept_content:
            continue  # the composer wrote it: its changes are the findings, not edits
        edited += 1
        draft, sent = request.draft, result.message
        vetted = vet_changes(result.changes, draft=draft, sent=sent)
        assert vetted == [c for c in result.changes if c.before or c.after], (
            draft.body,
            result.changes,
            sent.body,
        )
        if sent.body != draft.body or sent.subject != draft.subject:
            changed += 1
            assert result.changes, (draft.body, sent.body)
    assert edited > 500
    assert changed > 500


def test_a_question_placed_away_from_the_cut_ask_is_its_own_change() -> None:
    # The question goes before the sign-off, after the P.S.: it is not where the ask was.
    request = RewriteRequest.model_validate(
        {
            "draft": {
                "channel": "email",
                "subject": "Re: security questionnaire",
                "body": (
                    "Hi Dana,\n\nAttached is the completed SIG Lite questionnaire. Data is"
                    " encrypted at rest with AES-256.\n\nI'm sure you're swamped, but I really"
                    " need your sign-off by EOD Friday or I'll miss my quarter.\n\nP.S. Our"
                    " CEO would love to meet your CISO.\n\nBest,\nSam"
                ),
            },
            "context": {
                "prospect": {"name": "Dana Whitfield", "company": "Crescent Bank"},
                "sender": {"name": "Sam Ortiz", "company": "Vaultline"},
                "prospect_messages": ["Can you send the SIG Lite and confirm encryption?"],
            },
        }
    )
    plan = make_plan(request)
    result = plan.edit()
    sent = result.message
    assert sent.body != request.draft.body
    vetted = vet_changes(result.changes, draft=request.draft, sent=sent)
    assert any(c.rule == "pushy_close" and c.before for c in vetted)
    assert any(c.after.endswith("?") and c.after in sent.body for c in vetted)


async def test_a_good_draft_under_an_offending_subject_keeps_its_body() -> None:
    # The body breaks no rule; only the subject ("Checking in") does. The subject is
    # replaced, the rep's body stays: it is never thrown away for the composer's.
    from service.llm import ModelParams
    from service.pipeline import Rewriter
    from service.prompting import load_prompts

    body = (
        "Hi Rachel,\n\nThe consolidation plan for your three DCs is attached: it moves 40% of"
        " LTL volume onto two weekly pooled runs.\n\nWould it help to go through it with your"
        " carriers in the room?\n\nBest,\nKevin"
    )
    request = RewriteRequest.model_validate(
        {
            "draft": {"channel": "email", "subject": "Re: Checking in", "body": body},
            "context": {
                "prospect": {"name": "Rachel Green", "company": "Fernway Foods"},
                "goal": "consolidate LTL shipments across 3 DCs",
            },
        }
    )
    rewriter = Rewriter(model=None, prompts=load_prompts(), params=ModelParams())
    response = await rewriter.rewrite(request)
    assert response.verdict == "already_good"
    assert response.source == "editor"
    assert response.rewrite.body == body
    assert response.rewrite.subject is not None
    assert response.rewrite.subject.startswith("Re: ")
    assert "Checking in" not in response.rewrite.subject
    assert any(c.before == "Re: Checking in" for c in response.changes)


async def test_asked_for_variants_of_a_composed_message_gets_distinct_ones() -> None:
    # Every sentence of the draft offends: the composer writes the message, and the
    # caller who asked for three gets three distinct ones, each checked.
    from service.budget import resolve_budget
    from service.guard import passes
    from service.llm import ModelParams
    from service.pipeline import Rewriter
    from service.prompting import load_prompts

    request = RewriteRequest.model_validate(
        {
            "draft": {
                "channel": "email",
                "subject": "Last chance!!!",
                "body": (
                    "Hi Ken,\n\nI've emailed you 5 times and you still haven't replied. This is"
                    " your last chance to get 40% off - the offer expires tonight. Sign now or"
                    " lose it forever. Are you ready to commit?\n\nGreg"
                ),
            },
            "context": {
                "prospect": {"name": "Ken Adams", "company": "Adams Logistics"},
                "sender": {"name": "Greg Hall", "company": "FleetIQ"},
                "goal": "cut fuel costs across 60 trucks",
                "notes": "Ken said fuel is their biggest cost; 60 trucks, mostly regional routes.",
            },
            "options": {"variants": 3},
        }
    )
    rewriter = Rewriter(model=None, prompts=load_prompts(), params=ModelParams())
    response = await rewriter.rewrite(request)
    assert response.source == "composer"
    bodies = [v.body for v in response.variants]
    assert len(bodies) == 3
    assert len(set(bodies)) == 3
    budget = resolve_budget("email")
    for variant in response.variants:
        assert passes(variant, context=request.context, original=request.draft, budget=budget)
