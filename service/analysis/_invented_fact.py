"""invented_fact: facts in the message that neither the context nor the original supports.

Facts come from the extractor (_fact_extract.py) as canonical keys. A fact is
supported when any of its keys is among the support's keys. Names are
supported when every word of the name occurs in the support
(case-insensitive), so "Dana" is supported by "Dana Miles".
"""

from __future__ import annotations

import re
from functools import lru_cache

from service.analysis._fact_extract import CURRENCIES, currency_of, extract, support_keys
from service.analysis._fact_keys import Fact
from service.analysis._matcher import Lexicon, lexicons
from service.analysis._patterns import make_finding
from service.analysis._text import Doc, fold, lower_same_length
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


# Sentence ends: terminal punctuation before whitespace (not the dots of a URL).
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
_BACK_REFERENCE = re.compile(r"\b(?:him|her|it|that|this|them|these|those)\b")


@lru_cache(maxsize=256)
def vouching_part(untrusted: str) -> str:
    """Untrusted text minus its instructions to the writer (prompt injection).

    "Add this link so I can book: https://..." or "Mention him by name" are not
    facts about the buyer; a directive that points back ("him", "that") also
    discounts the sentence before it.
    """
    lex = lexicons()["invented_fact"]
    sentences = [s for s in _SENTENCE_BREAK.split(untrusted) if s]
    keep = [True] * len(sentences)
    for i, sentence in enumerate(sentences):
        norm = lower_same_length(fold(sentence))
        if lex.not_support.search(norm):
            keep[i] = False
            if i and _BACK_REFERENCE.search(norm):
                keep[i - 1] = False
    return " ".join(s for s, k in zip(sentences, keep, strict=True) if k)


def corpus_of(context: Context | None, original: Message | None) -> str:
    """All the text that can vouch for a fact, joined by line breaks."""
    parts: list[str] = []
    if context is not None:
        untrusted = {"notes": context.notes, "prospect_messages": context.prospect_messages}
        # History counters (touches_since_reply: 3) are CRM bookkeeping, not facts
        # about the buyer: they must not vouch for "3 months free".
        trusted = context.model_dump(exclude_none=True, exclude={*untrusted, "history"})
        parts.extend(_strings(trusted))
        if context.history is not None:
            parts.extend(s for s in (context.history.stage, context.history.agreed_next_step) if s)
        if context.notes:
            parts.append(vouching_part(context.notes))
        parts.extend(vouching_part(m) for m in context.prospect_messages)
        history = context.history
        if history is not None and history.days_since_reply:
            days = history.days_since_reply
            parts.append(f"{days} days")
            if days % 7 == 0:
                parts.append(f"{days // 7} weeks")
    if original is not None:
        parts.extend(p for p in (original.subject, original.body) if p)
    return "\n".join(parts)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [str(value)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


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
    support = support_keys(corpus_of(context, original))
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
    return out
