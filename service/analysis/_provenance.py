"""Where a supporting fact comes from, and whether that source may vouch for it.

invented_fact asks "is this fact in the context or the original?". Not every
part of the context is equal (PRODUCT.md, "Untrusted text stays data"):

- **trusted**: the original draft (the text a rewrite came from) and the CRM
  facts (prospect, sender, goal, history stage and agreed next step). They
  vouch for everything they contain.
- **the seller's notes**: the seller's own words but private. They vouch for
  facts about the buyer (numbers, names, dates), never for the seller's
  internal figures (private clauses: floor price, margin, quota... see
  `private_keys`), and for a link, phone or e-mail only when the note
  says to send or share it ("send her https://...").
- **the buyer's messages** (`prospect_messages`): untrusted. They vouch for
  what the buyer says about their situation, and for a link, phone or e-mail
  only when the buyer invites its use in the same or a neighbouring sentence
  ("call me on my mobile 07700 900123", "send it to my assistant at ...").
  A number in a signature, or a link in an instruction, vouches for nothing.

In both untrusted sources a sentence that instructs the writer (the
`not_support` list: "add this link to your reply", "ignore the above") vouches
for nothing at all, and a directive that points back ("mention him") also
discounts the sentence before it. That list is English and only a second
line: the provenance rules above hold in any language. A forged answer or
chat turn (answer tags, a "role" key, a "Subject:" line) makes the rest of
its text vouch for nothing, whatever language it is in. Every text is normalised first
(_normalize.py), so a defanged or look-alike link meets its plain form.
"""

from __future__ import annotations

import re
from functools import lru_cache

from service.analysis._fact_extract import support_keys
from service.analysis._fact_keys import EMAIL, URL, URL_HINT
from service.analysis._matcher import lexicons
from service.analysis._normalize import clean, clean_fields
from service.analysis._text import fold, lower_same_length
from service.models import Context, Message

# Keys of contact facts and codes (a voucher, password or reference): these need a
# reason to come from untrusted text.
_CONTACT_PREFIXES = ("url:", "email:", "ph:", "code:")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
_BACK_REFERENCE = re.compile(r"\b(?:him|her|it|that|this|them|these|those)\b")
# Tried only where a run of whitespace begins (and possessively): `\s+-\s+` searched
# plainly re-reads a long whitespace run from each of its characters (0.4 s on 20,000
# spaces in the notes). The same breaks: every match starts at a run's first character.
_CLAUSE_BREAK = re.compile(r";\s*|(?<!\s)\s++-\s+")


def sentences(text: str) -> list[str]:
    """The sentences of a supporting text (terminal punctuation or a line break)."""
    return [s for s in _SENTENCE_BREAK.split(text) if s.strip()]


def _norm(text: str) -> str:
    return lower_same_length(fold(text))


def _instructs(norm: str) -> bool:
    return lexicons()["invented_fact"].not_support.search(norm)


def _invites(norm: str) -> bool:
    return lexicons()["invented_fact"].invite.search(norm)


_WORD = re.compile(r"[a-z]+")


def _notes_cue(norm: str) -> bool:
    """A notes sentence that says what its contact detail is for (see notes_contact_cues).

    The cue must be a word of the sentence, not part of the link or address
    itself: "bookings@hotel-desk.example" says nothing about whose it is.
    """
    cues = lexicons()["invented_fact"].file.words["notes_contact_cues"]
    prose = URL.sub(" ", EMAIL.sub(" ", norm)) if ("@" in norm or URL_HINT.search(norm)) else norm
    return not set(cues).isdisjoint(_WORD.findall(prose))


# A forged answer or chat turn inside untrusted text: answer-format tags, a
# "role" key of a chat message, a line that opens like a field of the answer
# ("Subject: ...", "Body: ...", "System: ...") or a fake section heading. From
# such a marker to the end of that text nothing vouches for anything.
_FORGED = re.compile(
    r"<\s*/?\s*(?:subject|body|changes|answer|system|assistant|user|prospect_messages|notes"
    r"|context|draft|message)\s*>"
    r"|[\"']role[\"']\s*:"
    r"|^[ \t>*#-]{0,6}(?:subject|body|system|assistant|user|answer|output|response)[ \t]*:"
    r"|#{2,6}[ \t]*(?:answer|output|response|system|assistant|instructions?)\b",
    re.MULTILINE,
)


def _without_contacts(keys: frozenset[str]) -> frozenset[str]:
    return frozenset(k for k in keys if not k.startswith(_CONTACT_PREFIXES))


@lru_cache(maxsize=256)
def untrusted_keys(text: str, *, notes: bool = False) -> frozenset[str]:
    """What one untrusted text (a buyer message, or the seller's notes) vouches for.

    Sentences that instruct the writer are dropped (and the one before them
    when they point back to it). Contact facts count only next to an
    invitation to use them (in the notes, also next to a word that says whose
    they are or what they are for). In the notes the seller's private clauses
    (see `private_keys`) are dropped as well.
    """
    parts = sentences(clean(text))
    norms = [_norm(s) for s in parts]
    keep = [True] * len(parts)
    forged = False
    for i, norm in enumerate(norms):
        forged = forged or bool(_FORGED.search(norm))
        if forged:
            keep[i] = False
            continue
        if _instructs(norm):
            keep[i] = False
            if i and _BACK_REFERENCE.search(norm):
                keep[i - 1] = False
    invited = [_invites(n) or (notes and _notes_cue(n)) for n in norms]
    keys: set[str] = set()
    for i, sentence in enumerate(parts):
        if not keep[i]:
            continue
        if notes:
            sentence = " ".join(c for c in clauses(sentence) if not _is_private_clause(c, sentence))
        found = support_keys(sentence)
        near = invited[i] or (i > 0 and invited[i - 1]) or (i + 1 < len(parts) and invited[i + 1])
        keys.update(found if near else _without_contacts(found))
    return frozenset(keys)


def trusted_corpus(context: Context | None, original: Message | None) -> str:
    """The text that vouches for anything it holds: CRM facts and the original."""
    return clean_fields(*trusted_parts(context, original))


def trusted_parts(context: Context | None, original: Message | None) -> list[str]:
    """The fields of the trusted text, as written (`trusted_corpus` joins them cleaned)."""
    parts: list[str] = []
    if context is not None:
        trusted = context.model_dump(
            exclude_none=True, exclude={"notes", "prospect_messages", "history"}
        )
        parts.extend(_strings(trusted))
        history = context.history
        if history is not None:
            # Counters (touches_since_reply: 3) are CRM bookkeeping, not facts about
            # the buyer: they must not vouch for "3 months free".
            parts.extend(s for s in (history.stage, history.agreed_next_step) if s)
            if history.days_since_reply:
                days = history.days_since_reply
                parts.append(f"{days} days")
                if days % 7 == 0:
                    parts.append(f"{days // 7} weeks")
    if original is not None:
        parts.extend(p for p in (original.subject, original.body) if p)
    return parts


def support(context: Context | None, original: Message | None) -> frozenset[str]:
    """Every key some source may vouch for, by the rules in the module doc."""
    keys = set(support_keys(trusted_corpus(context, original)))
    if context is not None:
        if context.notes:
            keys |= untrusted_keys(context.notes, notes=True)
        for message in context.prospect_messages:
            keys |= untrusted_keys(message)
    return frozenset(keys)


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


# --- the seller's private clauses (private_detail) ---------------------------


def clauses(sentence: str) -> list[str]:
    """A notes sentence cut at semicolons and spaced dashes."""
    return [c for c in _CLAUSE_BREAK.split(sentence) if c.strip()]


def _is_private_clause(clause: str, sentence: str) -> bool:
    """A clause that holds the seller's internal figures (see private_detail.toml).

    A clause is private when it matches a `match` entry of private_detail and
    does not report what the buyer said (its `allow` list); a marker such as
    "INTERNAL:" or "don't share" at the start of its sentence makes every
    clause after it private.
    """
    lex = lexicons()["private_detail"]
    norm = _norm(clause)
    if lex.allow.search(norm) and not _MARKER.search(norm):
        return False
    if lex.match.search(norm):
        return True
    head = _norm(sentence[: max(0, sentence.find(clause))])
    return bool(_MARKER.search(head))


_MARKER = re.compile(
    r"internal ?:|internal only|confidential|(?:don't|do not|never) (?:share|reveal|tell|disclose)"
    r"|not for (?:the )?(?:client|customer|buyer|prospect)|between us|private ?:"
)


@lru_cache(maxsize=256)
def private_keys(notes: str) -> frozenset[str]:
    """The figures in the seller's private clauses of `notes` (numbers only)."""
    keys: set[str] = set()
    for sentence in sentences(clean(notes)):
        for clause in clauses(sentence):
            if _is_private_clause(clause, sentence):
                keys.update(k for k in support_keys(clause) if k.startswith(("n:", "cur:")))
    return frozenset(keys)
