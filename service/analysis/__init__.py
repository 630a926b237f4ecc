"""The analyzer: every rule in the catalogue, metrics, a calibrated score.

Deterministic, no I/O after the first call (lexicons are loaded and compiled
once), fast enough to run on every keystroke pause. Rules and their phrases
live in `lexicons/<rule>.toml`; docs/analyzer.md explains them and the score.
"""

from __future__ import annotations

from service.analysis._catalogue import RuleInfo, rules_catalogue, severities
from service.analysis._empty_check_in import find_empty_check_in
from service.analysis._invented_fact import find_invented
from service.analysis._metrics import compute as compute_metrics
from service.analysis._no_next_step import find_no_next_step
from service.analysis._not_personalized import find_not_personalized
from service.analysis._patterns import pattern_rule
from service.analysis._score import score as score_findings
from service.analysis._self_centered import find_self_centered
from service.analysis._text import prepare
from service.analysis._too_long import find_too_long
from service.budget import LengthBudget, resolve_budget
from service.models import Analysis, Context, Finding, Message
from service.strategies import suggest_strategy

__all__ = ["RULES", "RuleInfo", "analyze", "rule_severities", "score_findings"]

# Rules that are plain lexicon matches (phrases + negation + sentence exemptions).
_PATTERN_RULES = (
    "guilt_trip",
    "false_urgency",
    "desperate_discount",
    "sales_pitch_meeting",
    "pushy_close",
    "blames_prospect",
    "jargon",
    "placeholder",
)

RULES: tuple[RuleInfo, ...] = rules_catalogue()


def rule_severities() -> dict[str, str]:
    """Default severity per rule id (the guard decides what blocks)."""
    return dict(severities())


def analyze(
    draft: Message,
    *,
    context: Context | None = None,
    original: Message | None = None,
    budget: LengthBudget | None = None,
) -> Analysis:
    """Analyze one message. Deterministic, no I/O, no model."""
    budget = budget or resolve_budget(draft.channel)
    doc = prepare(draft.body)
    findings: list[Finding] = []
    self_centered = find_self_centered(doc, context)
    findings += self_centered
    for rule_id in _PATTERN_RULES:
        findings += pattern_rule(rule_id, doc)
    findings += find_empty_check_in(doc)
    findings += find_no_next_step(doc)
    findings += find_too_long(doc, budget)
    findings += find_invented(doc, context, original)
    findings += find_not_personalized(doc, context, self_centered)
    findings.sort(key=lambda f: (f.start, f.end, f.rule))
    return Analysis(
        score=score_findings(findings),
        strategy=suggest_strategy(context, frozenset(f.rule for f in findings)).id,
        findings=findings,
        metrics=compute_metrics(doc, budget),
    )
