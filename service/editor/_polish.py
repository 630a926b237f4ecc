"""Light polish for a draft that is already good (verdict `already_good`).

The contract promises light edits at most: a filler check-in or a boast (the
warnings the editor would cut from any draft) goes, nothing is added, every
item of the draft stays, and the result passes the same check as any output.
"""

from __future__ import annotations

import difflib

from service.analysis_memo import analyze
from service.budget import LengthBudget
from service.editor._cuts import _CUT_WARNINGS, _apply
from service.editor._edit import EditResult, _Draft, _first_cuts, _kept, _names, _signers
from service.editor._items import find_items
from service.editor._subject import edited_subject
from service.guard import blocking_findings
from service.models import Analysis, Change, Context, Message, StrategyId


def polish(
    draft: Message,
    *,
    context: Context | None,
    budget: LengthBudget,
    before: Analysis,
    strategy: StrategyId = "value_nudge",
) -> EditResult:
    """Light polish for a draft that is already good: its filler check-ins and boasts go.

    Nothing is added (no opener, no question): the rep's message stays theirs. The cut
    text must keep every item of the draft, the result must pass the same check as any
    output and keep most of the wording; otherwise the draft comes back as written. A
    subject that offends on its own ("Checking in") is replaced by the strategy's plain
    one (a thread's "Re:" kept), as for any edited draft: the body the rep wrote stays.
    """
    changes: list[Change] = []
    subject = edited_subject(draft, context, strategy, changes)
    if subject != draft.subject:
        draft = draft.model_copy(update={"subject": subject})
    as_written = EditResult(draft, list(changes), kept_items=find_items(draft.body))
    warnings = [f for f in before.findings if f.severity == "warning" and f.rule in _CUT_WARNINGS]
    if not warnings:
        return as_written
    doc = _Draft(draft.body, _names(context), _signers(context))
    cuts, cut_changes = _first_cuts(doc, warnings, context)
    body = _apply(doc.body, cuts)
    message = draft.model_copy(update={"body": body})
    kept = _kept(draft.body, body)
    analysis = analyze(message, context=context, original=draft, budget=budget)
    if (
        not cut_changes
        or blocking_findings(analysis)
        or len(kept) < len(find_items(draft.body))
        or _similarity(draft.body, body) < LIGHT_POLISH_MIN_SIMILARITY
    ):
        return as_written
    return EditResult(message, changes + cut_changes, kept_items=kept)


# A polished good draft keeps at least this share of its words (difflib ratio).
LIGHT_POLISH_MIN_SIMILARITY = 0.7


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()
