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
