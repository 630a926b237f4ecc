"""The strategy chooser, as a truth table over the context's history."""

from __future__ import annotations

from typing import Any

import pytest

from service.models import STRATEGY_IDS, Context
from service.strategies import catalogue, suggest_strategy

pytestmark = pytest.mark.unit


def ctx(**history: Any) -> Context:
    return Context.model_validate({"history": history})


@pytest.mark.parametrize(
    ("context", "rules", "expected"),
    [
        pytest.param(None, frozenset(), "value_nudge", id="no-context"),
        pytest.param(
            ctx(touches_since_reply=1, days_since_reply=2),
            frozenset(),
            "value_nudge",
            id="early-touch",
        ),
        pytest.param(
            ctx(touches_since_reply=4, days_since_reply=35, stage="proposal_sent"),
            frozenset(),
            "honest_reset",
            id="long-silence-many-touches",
        ),
        pytest.param(
            ctx(touches_since_reply=3, days_since_reply=21),
            frozenset(),
            "honest_reset",
            id="reset-threshold",
        ),
        pytest.param(
            ctx(touches_since_reply=2, days_since_reply=20, stage="proposal_sent"),
            frozenset(),
            "reason_finding",
            id="quiet-after-proposal",
        ),
        pytest.param(
            ctx(touches_since_reply=1, days_since_reply=9, stage="Demo done"),
            frozenset(),
            "reason_finding",
            id="quiet-after-demo-any-case",
        ),
        pytest.param(
            ctx(touches_since_reply=0, days_since_reply=2, stage="proposal_sent"),
            frozenset(),
            "value_nudge",
            id="proposal-just-sent",
        ),
        pytest.param(
            ctx(stage="negotiation", days_since_reply=10),
            frozenset(),
            "cost_of_delay",
            id="stalled-decision",
        ),
        pytest.param(
            ctx(stage="meeting_held", agreed_next_step=None),
            frozenset(),
            "timing_check",
            id="meeting-without-next-step",
        ),
        pytest.param(
            ctx(stage="meeting_held", agreed_next_step="call on the 3rd"),
            frozenset(),
            "value_nudge",
            id="meeting-with-next-step",
        ),
        pytest.param(
            ctx(stage="interested"), frozenset(), "learning_conversation", id="interested-lead"
        ),
        pytest.param(
            None,
            frozenset({"sales_pitch_meeting"}),
            "learning_conversation",
            id="draft-asks-for-a-demo",
        ),
    ],
)
def test_suggested_strategy(context: Context | None, rules: frozenset[str], expected: str) -> None:
    choice = suggest_strategy(context, rules)
    assert choice.id == expected
    assert choice.reason


def test_honest_reset_reason_quotes_the_history() -> None:
    choice = suggest_strategy(ctx(touches_since_reply=5, days_since_reply=40))
    assert "5 touches" in choice.reason
    assert "40 days" in choice.reason


def test_catalogue_covers_every_strategy_once() -> None:
    ids = [info.id for info in catalogue()]
    assert sorted(ids) == sorted(STRATEGY_IDS)


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("prospect_messages", "Happy to keep learning, but I don't want a sales call right now."),
        ("notes", "She said no more demos this quarter, she only wants to learn how others do it."),
        ("draft", "I understand you don't want a sales call now."),
    ],
)
def test_a_buyer_who_declined_a_sales_call_gets_a_learning_conversation(
    where: str, text: str
) -> None:
    raw: dict[str, object] = {"history": {"stage": "meeting_done", "touches_since_reply": 1}}
    if where == "prospect_messages":
        raw["prospect_messages"] = [text]
    elif where == "notes":
        raw["notes"] = text
    context = Context.model_validate(raw)
    draft = text if where == "draft" else ""
    assert suggest_strategy(context, frozenset(), draft).id == "learning_conversation"
    # Without the refusal the same history asks about timing.
    plain = Context.model_validate({"history": {"stage": "meeting_done", "touches_since_reply": 1}})
    assert suggest_strategy(plain).id == "timing_check"


def test_a_call_the_buyer_asked_for_is_not_a_refusal() -> None:
    context = Context.model_validate(
        {
            "history": {"stage": "meeting_done"},
            "prospect_messages": ["A short call next week would be great, and no rush on pricing."],
        }
    )
    assert suggest_strategy(context).id == "timing_check"
