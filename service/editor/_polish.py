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
from service.guard import blocking_findings
from service.models import Analysis, Context, Message


def polish(
    draft: Message, *, context: Context | None, budget: LengthBudget, before: Analysis
) -> EditResult:
    """Light polish for a draft that is already good: its filler check-ins and boasts go.

    Nothing is added (no opener, no question): the rep's message stays theirs. The cut
    text must keep every item of the draft, the result must pass the same check as any
    output and keep most of the wording; otherwise the draft comes back as written.
    """
    warnings = [f for f in before.findings if f.severity == "warning" and f.rule in _CUT_WARNINGS]
    if not warnings:
        return EditResult(draft, [], kept_items=find_items(draft.body))
    doc = _Draft(draft.body, _names(context), _signers(context))
    cuts, changes = _first_cuts(doc, warnings, context)
    body = _apply(doc.body, cuts)
    message = draft.model_copy(update={"body": body})
    kept = _kept(draft.body, body)
    analysis = analyze(message, context=context, original=draft, budget=budget)
    if (
        not changes
        or blocking_findings(analysis)
        or len(kept) < len(find_items(draft.body))
        or _similarity(draft.body, body) < LIGHT_POLISH_MIN_SIMILARITY
    ):
        return EditResult(draft, [], kept_items=find_items(draft.body))
    return EditResult(message, changes, kept_items=kept)


# A polished good draft keeps at least this share of its words (difflib ratio).
LIGHT_POLISH_MIN_SIMILARITY = 0.7


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()
