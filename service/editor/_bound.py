"""What a model answer may have to keep, found without running the whole editor.

The guard fails a model answer that loses one of the draft's items (links,
figures, contacts) that the editor itself keeps (`EditResult.kept_items`).
The full edit costs several analyses; this bound costs none. It is the
draft's items that survive the editor's first cuts (the sentences and
clauses holding the draft's own findings), plus any item the editor or the
composer could bring back from elsewhere: the text the editor adds (the
strategy's opener and question, what the buyer said from the notes) and the
context, which is all the composer writes from. Every later step of the
editor only removes text (repair rounds, trimming for length) or replaces the
body with the composer's, so the editor's kept items are a subset of this
bound.

That makes the cheap check exact: an answer that keeps every item of the
bound keeps every item the editor keeps; only when it misses one is the full
edit needed to say whether that item mattered (`Plan.lost_substance` in the
pipeline). The one gap the argument leaves is an item that a cut creates by
joining the text on either side of it (two digit groups brought together);
tests/unit/test_substance_bound.py checks the subset on every draft of the
labelled and preserve datasets.
"""

from __future__ import annotations

from service.editor._cuts import _apply
from service.editor._edit import _Draft, _first_cuts, _names, _signers, _to_cut
from service.editor._items import Item, find_items
from service.editor._moves import opener_for, question_for
from service.editor._notes import learned
from service.models import Analysis, Context, Message, StrategyId


def _context_text(context: Context | None) -> str:
    if context is None:
        return ""
    parts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif value is not None:
            parts.append(str(value))

    walk(context.model_dump())
    return "\n".join(parts)


def substance_bound(
    draft: Message,
    *,
    context: Context | None,
    strategy: StrategyId,
    before: Analysis,
    seed: str | None = None,
) -> list[Item]:
    """The draft's items the editor could keep: a superset of `edit(...).kept_items`.

    Args:
        draft: The rep's draft.
        context: What is known about the buyer (the composer writes from it).
        strategy: The strategy the editor would apply (its opener and question).
        before: The draft's analysis (the findings the editor cuts first).
        seed: The editor's seed for the move's phrasing (the draft's body by default).
    """
    items = find_items(draft.body)
    if not items:  # nothing to keep, whatever the editor would cut or add
        return []
    seed = draft.body if seed is None else seed
    doc = _Draft(draft.body, _names(context), _signers(context))
    cuts, _ = _first_cuts(doc, _to_cut(before), context)
    said = learned(context) or ""
    extra = "\n".join(
        (
            _apply(doc.body, cuts),
            said,
            opener_for(strategy, seed) or "",
            question_for(strategy, draft.channel, seed),
            _context_text(context),
        )
    )
    present = {i.key for i in find_items(extra)}
    digits = "".join(ch for ch in extra if ch.isdigit())
    return [
        item
        for item in items
        if item.key in present
        or (item.kind in ("phone", "money", "percent", "figure") and item.key in digits)
    ]
