"""too_long: the message is over its channel's length budget."""

from __future__ import annotations

from itertools import islice

from service.analysis._matcher import lexicons
from service.analysis._patterns import make_finding
from service.analysis._text import _BUDGET_WORD, Doc
from service.budget import LengthBudget
from service.models import Finding


def find_too_long(doc: Doc, budget: LengthBudget) -> list[Finding]:
    """The span is the text past the limit, so a UI can grey out what to cut."""
    lex = lexicons()["too_long"]
    cut: int | None = None
    reason = ""
    n_words = doc.word_count()
    if budget.max_words is not None and n_words > budget.max_words:
        # The first word past the budget: the spans of the words after it are not needed.
        cut = next(islice(_BUDGET_WORD.finditer(doc.norm), budget.max_words, None)).start()
        reason = f"{n_words} words; the budget is {budget.max_words}."
    if budget.max_chars is not None and len(doc.raw.rstrip()) > budget.max_chars:
        char_cut = budget.max_chars
        if cut is None or char_cut < cut:
            cut = char_cut
            reason = f"{len(doc.raw.rstrip())} characters; the budget is {budget.max_chars}."
    if cut is None:
        return []
    end = len(doc.raw.rstrip())
    if cut >= end:
        cut = 0
    message = f"Too long: {reason} Cut to one bite of value and one question."
    return [make_finding(lex, doc, cut, end, message)]
