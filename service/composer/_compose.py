"""The deterministic composer: a safe message from the strategy and the context.

Used when the model is down or its answer failed the guard twice, so it must
always produce something that passes the guard by itself. It builds
candidates from `templates.toml` (the full message, then versions that drop
optional sentences, the sign-off, shorten the goal at a clause boundary,
leave out facts, use shorter sentence variants, or just the strategy's tiny
question), ranks them by what the reader loses, and returns the first that
fits the length budget and passes the same check as the guard. A fact the
analyzer objects to (an odd company name, say) costs only that fact.
Same input, same output: no randomness, no clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from service.budget import LengthBudget
from service.composer._facts import Facts, extract_facts
from service.composer._templates import (
    ChannelTemplates,
    StrategyTemplates,
    Variant,
    load_templates,
)
from service.guard import passes
from service.models import Channel, Context, Message, StrategyId

# Goal lengths tried, longest first (words); then the goal is left out.
GOAL_WORDS: dict[Channel, tuple[int, ...]] = {
    "email": (20, 12, 8, 5),
    "linkedin": (16, 10, 6, 4),
    "sms": (16, 10, 6, 4),
    "voicemail": (16, 10, 6, 4),
}


def _first(variants: tuple[Variant, ...], facts: Facts, channel: Channel) -> str | None:
    known = facts.known()
    for variant in variants:
        if variant.usable(known, channel):
            return variant.fill(facts.values())
    return None


@dataclass(frozen=True, slots=True)
class _Shape:
    """Which parts of the full message a candidate keeps."""

    dropped: frozenset[str]  # optional slots left out
    tail: bool  # closing line / sign-off kept
    compact: bool = False  # only the strategy's tiny question instead of the sentences
    greet: bool = True
    brief: bool = False  # the last (shortest) usable variant of each sentence

    def penalty(self) -> int:
        cost = PENALTY_DROPPED_SENTENCE * len(self.dropped)
        cost += 0 if self.tail else PENALTY_NO_TAIL
        cost += PENALTY_COMPACT if self.compact else 0
        cost += PENALTY_BRIEF if self.brief else 0
        return cost + (0 if self.greet else PENALTY_NO_GREETING)


def _build(
    strategy: StrategyTemplates,
    layout: ChannelTemplates,
    channel: Channel,
    facts: Facts,
    shape: _Shape,
) -> Message:
    sentences: list[str] = []
    question = strategy.tiny if shape.compact else ""
    for slot in strategy.slots:
        if shape.compact or slot.name in shape.dropped:
            continue
        variants = slot.variants[::-1] if shape.brief else slot.variants
        text = _first(variants, facts, channel)
        if text is None:
            continue
        if slot.question:
            question = text
        else:
            sentences.append(text)
    greeting = _first(layout.greeting, facts, channel) if shape.greet else None
    body = f"{greeting}{layout.greeting_sep}" if greeting else ""
    if sentences:
        body += " ".join(sentences) + layout.question_sep
    body += question
    if shape.tail:
        if closing := _first(layout.closing, facts, channel):
            body += f" {closing}"
        if signoff := _first(layout.signoff, facts, channel):
            body += f"{layout.signoff_sep}{signoff}"
    subject = _first(strategy.subject, facts, channel) if channel == "email" else None
    return Message(channel=channel, subject=subject, body=body.strip())


def _shapes(strategy: StrategyTemplates) -> list[_Shape]:
    optional = [s.name for s in strategy.slots if s.optional]
    shapes = [
        _Shape(frozenset(optional[len(optional) - count :]), tail, brief=brief)
        for brief in (False, True)
        for count in range(len(optional) + 1)
        for tail in (True, False)
    ]
    # Last resorts for very small budgets: the tiny question, greeted or alone.
    shapes += [
        _Shape(frozenset(), tail, compact=True, greet=greet)
        for greet in (True, False)
        for tail in (True, False)
    ]
    return shapes


# How much each simplification costs; candidates are tried cheapest first.
# Costs are judged on the text produced: a known fact that does not appear
# costs its weight, whichever way it was lost (a dropped sentence or a fact
# left out). Cutting the goal mid-phrase reads worse than losing a sentence.
PENALTY_DROPPED_SENTENCE = 3
PENALTY_NO_TAIL = 5  # the sign-off or the spoken name matters (reliability)
PENALTY_GOAL_CUT = 4
PENALTY_BRIEF = 6
PENALTY_COMPACT = 20
PENALTY_NO_GREETING = 10
PENALTY_MISSING: dict[str, int] = {
    "goal": 6,
    "first_name": 4,
    "sender_name": 4,
    "sender_company": 4,  # who is writing, for a text or a call from an unknown number
    "company": 2,
}
# Facts left out together when the analyzer objects to something (tried in order).
_LEAVE_OUT: tuple[tuple[str, ...], ...] = (
    ("goal",),
    ("company",),
    ("sender_company",),
    ("sender_name",),
    ("first_name",),
    ("goal", "company"),
    ("goal", "company", "sender_company"),
    ("goal", "company", "sender_company", "sender_name"),
    tuple(PENALTY_MISSING),
)


@dataclass(frozen=True, slots=True)
class _Level:
    facts: Facts
    goal_cuts: int


def _fact_levels(facts: Facts, channel: Channel) -> Iterator[_Level]:
    """The facts as the channel shows them (goal capped), then simplifications."""
    longest, *shorter_widths = GOAL_WORDS[channel]
    facts = facts.with_goal_words(longest)
    yield _Level(facts, 0)
    if facts.goal is not None:
        cuts, previous = 0, facts.goal
        for words in shorter_widths:
            shorter = facts.with_goal_words(words)
            if shorter.goal is None:
                break
            if shorter.goal != previous:
                cuts, previous = cuts + 1, shorter.goal
                yield _Level(shorter, cuts)
    for names in _LEAVE_OUT:
        yield _Level(facts.without(*names), 0)


def _penalty(message: Message, facts: Facts, level: _Level, shape: _Shape) -> int:
    text = f"{message.subject or ''}\n{message.body}"
    penalty = shape.penalty() + PENALTY_GOAL_CUT * level.goal_cuts
    for name, weight in PENALTY_MISSING.items():
        shown = getattr(level.facts, name)
        if getattr(facts, name) is not None and (shown is None or shown not in text):
            penalty += weight
    return penalty


def _candidates(
    strategy: StrategyTemplates, layout: ChannelTemplates, channel: Channel, facts: Facts
) -> list[Message]:
    """Every simplification of the fullest message, cheapest first (stable order)."""
    ranked: list[tuple[int, int, Message]] = []
    for shape in _shapes(strategy):
        for level in _fact_levels(facts, channel):
            message = _build(strategy, layout, channel, level.facts, shape)
            ranked.append((_penalty(message, facts, level, shape), len(ranked), message))
    ranked.sort(key=lambda item: (item[0], item[1]))
    # The same text can be reached in several ways: keep its cheapest position.
    unique: dict[tuple[str | None, str], Message] = {}
    for _, _, message in ranked:
        unique.setdefault((message.subject, message.body), message)
    return list(unique.values())


def fits(body: str, budget: LengthBudget) -> bool:
    """Within the budget as the analyzer counts it: whitespace words and characters."""
    if budget.max_words is not None and len(body.split()) > budget.max_words:
        return False
    return budget.max_chars is None or len(body) <= budget.max_chars


def _squeeze(text: str, budget: LengthBudget) -> str:
    """Whole words only, for budgets too small even for the tiny question."""
    words = text.split()
    while len(words) > 1 and not fits(" ".join(words), budget):
        words.pop(0)
    return " ".join(words)


def compose(
    *,
    strategy: StrategyId,
    channel: Channel,
    context: Context | None,
    draft: Message,
    budget: LengthBudget,
    variant: int = 0,
) -> Message:
    """A message for `strategy` on `channel` built only from the context's facts.

    `variant` n > 0 asks for the n-th next message that passes (another shape or fact
    level of the same strategy: the alternatives a caller asked for); when there are
    fewer, the last one that passes.
    """
    templates = load_templates()
    shapes, layout = templates.strategies[strategy], templates.channels[channel]
    facts = extract_facts(context)
    passing: Message | None = None
    for message in _candidates(shapes, layout, channel, facts):
        if fits(message.body, budget) and passes(
            message, context=context, original=draft, budget=budget
        ):
            passing = message
            if variant <= 0:
                return message
            variant -= 1
    if passing is not None:
        return passing
    subject = _first(shapes.subject, Facts(), channel) if channel == "email" else None
    return Message(channel=channel, subject=subject, body=_squeeze(shapes.tiny, budget))
