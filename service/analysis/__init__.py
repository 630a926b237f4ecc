"""The analyzer: rules, metrics and score. (Placeholder until the rule engine lands.)"""

from __future__ import annotations

from service.budget import LengthBudget, resolve_budget
from service.models import Analysis, Context, Message, Metrics
from service.strategies import suggest_strategy


def analyze(
    draft: Message,
    *,
    context: Context | None = None,
    original: Message | None = None,
    budget: LengthBudget | None = None,
) -> Analysis:
    """Analyze one message. Deterministic, no I/O, no model."""
    budget = budget or resolve_budget(draft.channel)
    words = len(draft.body.split())
    return Analysis(
        score=100,
        strategy=suggest_strategy(context).id,
        findings=[],
        metrics=Metrics(
            words=words,
            sentences=max(1, draft.body.count(".")),
            questions=draft.body.count("?"),
            reading_grade=0.0,
            you_me_ratio=1.0,
        ),
    )
