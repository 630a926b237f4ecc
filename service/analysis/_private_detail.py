"""private_detail: a figure from the seller's private notes reaches the buyer.

The notes are the seller's own, but some of what they hold is for the seller
alone: a floor or walk-away price, the deal's margin, how far they may
discount, a quota or commission, a budget ceiling heard second-hand.
_provenance.py finds those private clauses (private_detail.toml); a number in
the message that equals one of their figures fires, unless a source the buyer
may see vouches for it: the original draft, the CRM facts, the buyer's own
messages, or a clause of the notes that describes the buyer ("Nadia said
they hire about 15 supervisors a quarter").
"""

from __future__ import annotations

from service.analysis._fact_extract import extract, support_keys
from service.analysis._matcher import lexicons
from service.analysis._patterns import make_finding
from service.analysis._provenance import private_keys, trusted_corpus, untrusted_keys
from service.analysis._text import Doc
from service.models import Context, Finding, Message

_FIGURES = frozenset({"money", "percent", "number", "nword", "big"})


def find_private_detail(
    doc: Doc, context: Context | None, original: Message | None
) -> list[Finding]:
    """Numbers in the message that only the notes' private clauses hold."""
    if context is None or not context.notes:
        return []
    private = private_keys(context.notes)
    if not private:
        return []
    public = set(support_keys(trusted_corpus(context, original)))
    public |= untrusted_keys(context.notes, notes=True)
    for message in context.prospect_messages:
        public |= untrusted_keys(message)
    lex = lexicons()["private_detail"]
    out: list[Finding] = []
    for fact in extract(doc):
        if fact.kind not in _FIGURES:
            continue
        numbers = {k for k in fact.keys if k.startswith("n:")}
        if numbers & private and not numbers & public:
            excerpt = doc.raw[fact.start : fact.end]
            msg = (
                f"\u201c{excerpt}\u201d comes from your private notes (price floor, margin, "
                "quota...); keep it out of the message."
            )
            out.append(make_finding(lex, doc, fact.start, fact.end, msg))
    return out
