"""Strategy catalogue (data in strategies.toml) and the automatic chooser."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from service.datafile import Strict, read_toml, validate
from service.errors import DataFileInvalid
from service.models import STRATEGY_IDS, Context, StrategyChoice, StrategyId

_CATALOGUE = Path(__file__).with_name("strategies.toml")

# Thresholds for the chooser, named so the docs and tests can refer to them.
RESET_MIN_TOUCHES = 3
RESET_MIN_DAYS = 21
QUIET_AFTER_PROPOSAL_DAYS = 5

_PROPOSAL_STAGES = ("proposal", "quote", "pricing", "demo", "trial", "pilot", "contract", "sow")
_DECISION_STAGES = ("decision", "negotiat", "stalled", "evaluat", "approval", "budget")
_MEETING_STAGES = ("meeting", "call", "discovery", "intro", "met")
_INTERESTED_STAGES = ("interested", "nurture", "lead", "engaged", "warm")


class StrategyInfo(Strict):
    """One strategy's catalogue entry (a table of strategies.toml keyed by its id)."""

    id: StrategyId
    title: str
    when: str
    shape: str
    auto_reason: str


@cache
def catalogue() -> tuple[StrategyInfo, ...]:
    """Load and validate strategies.toml once; every id must be present exactly once."""
    raw = read_toml(_CATALOGUE)
    infos = tuple(
        validate(StrategyInfo, {"id": key, **value}, file=_CATALOGUE.name, prefix=key)
        if isinstance(value, dict)
        else validate(StrategyInfo, value, file=_CATALOGUE.name, prefix=key)
        for key, value in raw.items()
    )
    missing = set(STRATEGY_IDS) - {i.id for i in infos}
    if missing:
        raise DataFileInvalid(_CATALOGUE.name, "", f"lacks {sorted(missing)}")
    return infos


def _auto(strategy: StrategyId, touches: int, days: int) -> StrategyChoice:
    info = next(i for i in catalogue() if i.id == strategy)
    return StrategyChoice(id=strategy, reason=info.auto_reason.format(touches=touches, days=days))


def _stage_is(stage: str, keys: tuple[str, ...]) -> bool:
    return any(k in stage for k in keys)


# The buyer has said they don't want a sales call or demo (in their own messages,
# the seller's notes, or the draft acknowledging it): a learning conversation fits.
_DECLINED_SALES_TALK = re.compile(
    r"\b(?:(?:do not|don't|dont|doesn't|does not|not) (?:want|need|have time for|do)"
    r"|no(?: more)?|not ready for|not interested in|without|rather not have)"
    r" (?:a |any |another |more )?(?:sales|vendor)?[ -]?"
    r"(?:calls?|pitch(?:es)?|demos?|meetings?|sales)\b"
    r"|\b(?:only|just) (?:want|wants|like|looking) to learn\b",
    re.IGNORECASE,
)


def declined_sales_talk(context: Context | None, draft_text: str = "") -> bool:
    """Whether the buyer said no to a sales call or demo (messages, notes or the draft)."""
    texts = [draft_text]
    if context is not None:
        texts += [*context.prospect_messages, context.notes or ""]
    return any(_DECLINED_SALES_TALK.search(t) for t in texts if t)


def suggest_strategy(
    context: Context | None,
    draft_rules: frozenset[str] = frozenset(),
    draft_text: str = "",
) -> StrategyChoice:
    """Pick the strategy that fits the situation described by the context's history.

    `draft_rules` are the rule ids found in the draft: a draft that pushes for a
    sales meeting early on is better served by a learning conversation, and so is
    a buyer who has said they don't want a sales call (`draft_text` and the context).
    """
    history = context.history if context else None
    touches = (history.touches_since_reply or 0) if history else 0
    days = (history.days_since_reply or 0) if history else 0
    stage = (history.stage or "").lower() if history else ""
    agreed = (history.agreed_next_step or "").strip() if history else ""

    if touches >= RESET_MIN_TOUCHES and days >= RESET_MIN_DAYS:
        return _auto("honest_reset", touches, days)
    if _stage_is(stage, _PROPOSAL_STAGES) and (days >= QUIET_AFTER_PROPOSAL_DAYS or touches >= 1):
        return _auto("reason_finding", touches, days)
    if declined_sales_talk(context, draft_text):
        return StrategyChoice(
            id="learning_conversation",
            reason="The buyer said they don't want a sales call: invite a conversation "
            "about what they have tried, useful whatever they decide.",
        )
    if _stage_is(stage, _DECISION_STAGES):
        return _auto("cost_of_delay", touches, days)
    if _stage_is(stage, _MEETING_STAGES) and not agreed:
        return _auto("timing_check", touches, days)
    if _stage_is(stage, _INTERESTED_STAGES) or "sales_pitch_meeting" in draft_rules:
        return _auto("learning_conversation", touches, days)
    return _auto("value_nudge", touches, days)
