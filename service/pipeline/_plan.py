"""Planning: the budget, the draft's analysis and the strategy, each computed once."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.analysis_memo import analyze
from service.budget import LengthBudget, budget_for
from service.editor import EditResult, Item, edit, find_items, substance_bound
from service.guard import draft_blockers
from service.models import (
    Analysis,
    Change,
    Message,
    RewriteRequest,
    Source,
    StrategyChoice,
    Usage,
)
from service.strategies import suggest_strategy


@dataclass(slots=True)
class Plan:
    """What every later step reads about the request; never recomputed."""

    request: RewriteRequest
    budget: LengthBudget
    before: Analysis
    strategy: StrategyChoice
    already_good: bool
    substance_items: list[Item] | None = None
    substance_superset: list[Item] | None = None

    def edit(self, seed: str | None = None, variant: int = 0) -> EditResult:
        """The draft-preserving editor on this request (`seed` picks the move's phrasing,
        `variant` the composer's alternative when it writes the message).
        """
        request = self.request
        return edit(
            request.draft,
            context=request.context,
            strategy=self.strategy.id,
            budget=self.budget,
            before=self.before,
            seed=seed,
            variant=variant,
        )

    def substance(self) -> list[Item]:
        """The draft's items a model answer must keep: those the editor keeps (not offences)."""
        if self.substance_items is None:
            if self.already_good:
                self.substance_items = find_items(self.request.draft.body)
            else:
                self.substance_items = self.edit().kept_items
        return self.substance_items

    def substance_bound(self) -> list[Item]:
        """A superset of `substance()` found without the editor's analyses (editor/_bound.py).

        An answer that keeps all of these keeps all of `substance()`; only an answer
        that misses one needs the exact list.
        """
        if self.substance_items is not None:
            return self.substance_items
        if self.substance_superset is None:
            if self.already_good:
                self.substance_superset = self.substance()
            else:
                request = self.request
                self.substance_superset = substance_bound(
                    request.draft,
                    context=request.context,
                    strategy=self.strategy.id,
                    before=self.before,
                )
        return self.substance_superset


@dataclass(slots=True)
class Outcome:
    """The message chosen for the response, and how it was obtained."""

    message: Message
    source: Source
    after: Analysis
    changes_from_model: list[Change] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    repaired: bool = False
    degraded_reason: str | None = None
    variants: list[Message] = field(default_factory=list)
    # The deterministic path's own record of what it cut, replaced and added.
    edits: list[Change] | None = None


def make_plan(request: RewriteRequest) -> Plan:
    """Resolve the budget, analyze the draft and pick the strategy (once per request)."""
    draft, context, options = request.draft, request.context, request.options
    budget = budget_for(draft.channel, options)
    before = analyze(draft, context=context, budget=budget)
    if options.strategy == "auto":
        strategy = suggest_strategy(context, frozenset(before.rules()), draft.body)
    else:
        strategy = StrategyChoice(id=options.strategy, reason="Requested by the caller.")
    return Plan(request, budget, before, strategy, already_good=not draft_blockers(before))
