"""invented_fact: facts in the message that neither the context nor the original supports.

Facts come from the extractor (_fact_extract.py) as canonical keys. A fact is
supported when any of its keys is among the keys its sources may vouch for
(_provenance.py: the original and the CRM facts vouch for anything; the notes
and the buyer's messages only for what they may). Names are
supported when every word of the name occurs in the support
(case-insensitive), so "Dana" is supported by "Dana Miles".
"""

from __future__ import annotations

from service.analysis._bounds import MESSAGE_CONTACTS, MESSAGE_FACTS, contacts_cut_first
from service.analysis._context_memo import by_context
from service.analysis._fact_extract import CURRENCIES, currency_of, extract, unchecked_from
from service.analysis._fact_keys import Fact
from service.analysis._matcher import Lexicon, lexicons
from service.analysis._patterns import make_finding
from service.analysis._provenance import support as supported_keys
from service.analysis._text import Doc
from service.models import Context, Finding, Message

_ADVICE = "check it or leave it out."


def _other_currency(text: str, fact: Fact, support: frozenset[str]) -> bool:
    """True when the context has this amount only in another currency: "£30k" is not
    supported by "$30k" (but is by "30k", or by "£30,000").
    """
    if fact.kind != "money" or (currency := currency_of(text)) is None:
        return False
    amounts = [k for k in fact.keys if k.startswith("n:")]
    if any(f"cur:{currency}:{a}" in support for a in amounts):
        return False
    return any(f"cur:{other}:{a}" in support for a in amounts for other, _ in CURRENCIES)


def _name_supported(key: str, support: frozenset[str]) -> bool:
    """A name word is supported as written or in its singular/plural form
    ("Chromebooks" by "1,800 Chromebook laptops").
    """
    if key in support:
        return True
    if key.endswith("s") and key[:-1] in support:
        return True
    return key + "s" in support


def find_invented(doc: Doc, context: Context | None, original: Message | None) -> list[Finding]:
    if context is None and original is None:
        return []
    lex: Lexicon = lexicons()["invented_fact"]
    support = by_context("support", context, original, lambda: supported_keys(context, original))
    out: list[Finding] = []
    for fact in extract(doc):
        if fact.kind == "name":
            ok = all(_name_supported(k, support) for k in fact.keys)
        else:
            ok = any(k in support for k in fact.keys) and not _other_currency(
                doc.norm[fact.start : fact.end], fact, support
            )
        if not ok:
            excerpt = doc.raw[fact.start : fact.end]
            msg = (
                f"\u201c{excerpt}\u201d is in neither the context nor the original draft: {_ADVICE}"
            )
            out.append(make_finding(lex, doc, fact.start, fact.end, msg))
    at = unchecked_from(doc)
    if at is not None and doc.raw[at:].strip():
        # Past the work budget: the rest is one finding, never silently accepted.
        end = len(doc.raw.rstrip())
        start = at + len(doc.raw[at:]) - len(doc.raw[at:].lstrip())
        what = (
            f"addresses and links to check (more than {MESSAGE_CONTACTS})"
            if contacts_cut_first(doc.folded)
            else f"figures and names to check (more than {MESSAGE_FACTS})"
        )
        msg = f"Too many {what}; the rest of the message is unchecked: shorten it."
        out.append(make_finding(lex, doc, start, end, msg))
    return out
