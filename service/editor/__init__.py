"""The draft-preserving editor: the deterministic path that keeps the rep's own message.

Used whenever no model answers (none configured, down, or failing the guard
twice): it keeps every sentence and clause of the draft that breaks no
principle, cuts or replaces what does, and adds the strategy's move where it
is missing. Its items (links, numbers, contacts) also tell the guard what a
model answer must not lose.
"""

from __future__ import annotations

from service.analysis import compile_lexicons
from service.analysis_memo import analyze
from service.budget import resolve_budget
from service.editor._bound import substance_bound
from service.editor._deliver import edit
from service.editor._edit import EditResult
from service.editor._items import Item, find_items, missing_items
from service.editor._polish import polish
from service.editor._suggest import suggest
from service.models import Message


def warm_up() -> None:
    """Load and compile every data file the default path reads (once per process)."""
    compile_lexicons()  # every list, not only those the sample below can match
    draft = Message(channel="email", body="Hi Sam, just checking in. Are you ready to sign?")
    budget = resolve_budget("email")
    before = analyze(draft, budget=budget)
    edit(draft, context=None, strategy="value_nudge", budget=budget, before=before)


__all__ = [
    "EditResult",
    "Item",
    "edit",
    "find_items",
    "missing_items",
    "polish",
    "substance_bound",
    "suggest",
    "warm_up",
]
