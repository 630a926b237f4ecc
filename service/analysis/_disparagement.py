"""disparagement: running down a named third party (a competitor, its people).

The lexicon (disparagement.toml) finds the judgement ("is a joke", "outdated
junk", "going under"); the rule fires only when the same sentence names a
third party: a capitalised name that is not an ordinary word and is neither
the prospect, their company, the sender nor the sender's company. A name that
opens the sentence counts when it is clearly a name there ("Onboardly's
guides", "Moorings Pro cuts corners", "Corvane is a scam"). Self-criticism and
complaints about the buyer's own process name nobody and stay quiet. A
judgement that points back with "they"/"their" takes the name from the sentence
before it.
"""

from __future__ import annotations

import re
from functools import cache

from service.analysis._fact_keys import vocab
from service.analysis._matcher import Lexicon, lexicons
from service.analysis._normalize import clean
from service.analysis._patterns import make_finding, matches
from service.analysis._text import Doc
from service.models import Context, Finding

_CAPITAL = re.compile(r"(?<![\w'])[A-Z\u00c0-\u00de][\w'-]*")
_WORDS = re.compile(r"[\w]+")
_OPENS = re.compile(r"(?:'s\b| [A-Z]| (?:is|are|was|were|has|have|does|do|cuts|can't|won't)\b)")
_POINTS_BACK = re.compile(r"\b(?:they|their|they're|theirs|them)\b", re.IGNORECASE)
_SKIP = frozenset(" \t\"'*-\u2022>(")


@cache
def _lexicon() -> Lexicon:
    return lexicons()["disparagement"]


def _known(context: Context | None) -> frozenset[str]:
    if context is None:
        return frozenset()
    parts: list[str] = []
    for who in (context.prospect, context.sender):
        if who is not None:
            parts.extend(p for p in (who.name, who.company) if p)
    return frozenset(w.lower() for w in _WORDS.findall(clean(" ".join(parts))))


def third_party(doc: Doc, span: tuple[int, int], known: frozenset[str]) -> str | None:
    """The first third-party name in the sentence `span`, if any."""
    start, end = span
    v = vocab()
    ordinary = v.not_names | v.openers
    first = start
    while first < end and doc.folded[first] in _SKIP:
        first += 1
    for m in _CAPITAL.finditer(doc.folded, start, end):
        word = m.group(0)
        base = word[:-2] if word.endswith("'s") else word
        low = base.lower()
        if low in ordinary or low in known or len(low) < 2 or base.isupper():
            continue
        if m.start() == first and not _OPENS.match(doc.folded, m.end() - (len(word) - len(base))):
            continue
        return base
    return None


def find_disparagement(doc: Doc, context: Context | None) -> list[Finding]:
    """Judgements about a named third party (see module doc)."""
    lex = _lexicon()
    known = _known(context)
    out: list[Finding] = []
    # One look per sentence, however many judgements it holds (a sentence of the
    # same phrase 1,000 times would otherwise be read 1,000 times: quadratic).
    names: dict[tuple[int, int], str | None] = {}
    for _, start, end in matches(lex, doc):
        span = doc.sentence_at(start)
        if span not in names:
            names[span] = third_party(doc, span, known)
            if names[span] is None and _POINTS_BACK.search(doc.folded, *span):
                # "I hear you're evaluating Routely. Their support is terrible.": the
                # name is in the sentence before, the judgement points back to it.
                before = doc.sentence_before(span)
                names[span] = None if before is None else third_party(doc, before, known)
        name = names[span]
        if name is None:
            continue
        msg = (
            f"This runs down \u201c{name}\u201d; leave other companies out and help the "
            "buyer choose."
        )
        out.append(make_finding(lex, doc, start, end, msg))
    return out
