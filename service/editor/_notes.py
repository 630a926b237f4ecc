"""What the rep learned about the buyer, from the seller's notes, said back to the buyer.

An empty check-in ("just circling back") carries nothing; where the notes
record what the buyer said about their own situation ("Hana said each
kitchen orders flour on its own"), that is something worth saying instead:
"You mentioned each kitchen orders flour on its own." Only sentences whose
subject is the prospect (their first name, or she/he/they) are used, and the
result still goes through the guard, which cuts it if it reveals anything
private or unsupported.
"""

from __future__ import annotations

import re

from service.models import Context

# "Dana said ...", "She mentioned ...". The speaker starts a token (after an opening
# quote at most): tried from inside "A-A-A-..." each start re-read the token to its end
# (2 s on 20 KB of notes), and a name that fails from its first letter fails from later.
_SAID = re.compile(
    r"(?<![\w-])(?<![\w-]')(?P<who>[A-Z][\w'-]+|[Ss]he|[Hh]e|[Tt]hey)\s+"
    r"(?:said|mentioned|told (?:me|us)|explained"
    r"|noted|shared|pointed out)\s+(?:that\s+)?(?P<what>[^.!?\n;]{12,160})"
)
_PRONOUN = {
    "she": "you", "he": "you", "they": "you", "her": "your", "his": "your",
    "their": "your", "herself": "yourself", "himself": "yourself", "themselves": "yourselves",
}  # fmt: skip
_AGREE = {"has": "have", "is": "are", "was": "were", "does": "do", "doesn't": "don't"}
_PRIVATE = re.compile(
    r"\b(?:budget|ceiling|margin|discount|quota|commission|competitor|price|pricing|cost)\b",
    re.IGNORECASE,
)


def _second_person(what: str) -> str:
    words = what.split()
    out: list[str] = []
    after_subject = False
    for word in words:
        low = word.lower()
        if low in _PRONOUN:
            out.append(_PRONOUN[low])
            after_subject = low in ("she", "he", "they")
            continue
        if after_subject:
            if low in _AGREE:
                word = _AGREE[low]
            elif low.endswith("s") and not low.endswith("ss") and low.isalpha() and len(low) > 3:
                word = word[:-1]
        after_subject = False
        out.append(word)
    return " ".join(out)


def learned(context: Context | None) -> str | None:
    """One sentence saying back what the buyer told the rep, or None."""
    if context is None or not context.notes or context.prospect is None:
        return None
    first = next(iter((context.prospect.name or "").split()), "")  # "" for a blank name
    for m in _SAID.finditer(context.notes):
        who = m.group("who")
        if who.lower() not in ("she", "he", "they") and who != first:
            continue
        what = m.group("what").strip().rstrip(",")
        if _PRIVATE.search(what) or len(what.split()) < 4:
            continue
        return f"You mentioned {_second_person(what)}."
    return None
