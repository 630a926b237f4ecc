"""The generic lexicon engine: phrase matches, negation and sentence exemptions."""

from __future__ import annotations

import re

from service.analysis._lexicon import Entry
from service.analysis._matcher import Lexicon, all_anchors, candidate_index, lexicons
from service.analysis._text import Doc
from service.models import Finding, Severity

# Words that cancel a following negatable match when they sit just before it
# in the same clause ("there's no deadline", "no pressure to decide now").
_NEGATORS = frozenset(
    {"no", "not", "never", "without", "nothing", "none", "zero", "neither", "nor", "hardly"}
)
_NEGATION_WINDOW = 4  # words looked back from the match
_CLAUSE_BREAK = re.compile(r"[,;:()]| but | - ")
# Phrases that take the pressure off a whole clause, however far back they sit:
# "no need to rush or decide now", "you don't have to sign anything today".
_CLAUSE_NEGATION = re.compile(
    r"\b(?:no (?:need|pressure|rush|hurry|obligation|expectation)|"
    r"(?:don't|do not|doesn't|won't|will not) (?:need|have) to|not (?:asking|trying|going) to|"
    r"nothing to)\b"
)
_TOKEN = re.compile(r"[a-z']+")


def is_negated(doc: Doc, start: int) -> bool:
    """True when a negator occurs in the few words before `start`, within its clause."""
    s_start, _ = doc.sentence_at(start)
    window = doc.norm[s_start:start]
    breaks = list(_CLAUSE_BREAK.finditer(window))
    if breaks:
        window = window[breaks[-1].end() :]
    tokens = _TOKEN.findall(window)[-_NEGATION_WINDOW:]
    if any(t in _NEGATORS or t.endswith("n't") for t in tokens):
        return True
    return _CLAUSE_NEGATION.search(window) is not None


def make_finding(
    lex: Lexicon,
    doc: Doc,
    start: int,
    end: int,
    message: str | None = None,
    *,
    severity: Severity | None = None,
) -> Finding:
    meta = lex.file
    return Finding(
        rule=meta.id,
        severity=severity or meta.severity,
        principle=meta.principle,
        message=message or meta.message,
        start=start,
        end=end,
        excerpt=doc.raw[start:end],
    )


def matches(lex: Lexicon, doc: Doc) -> list[tuple[Entry, int, int]]:
    """Lexicon hits that survive negation and the sentence-level `allow` list."""
    out: list[tuple[Entry, int, int]] = []
    allowed: dict[tuple[int, int], bool] = {}
    present = doc.present(all_anchors())
    hits = lex.match.finditer(doc.norm, present=present, starts=doc.starts(candidate_index()))
    if hits and lex.allow_message.search(doc.norm, present=doc.present(all_anchors())):
        return out
    for entry, start, end in hits:
        if entry.negatable and is_negated(doc, start):
            continue
        sentence = doc.sentence_at(start)
        if sentence not in allowed:
            allowed[sentence] = lex.allow.search(
                doc.norm, sentence[0], sentence[1], doc.present(all_anchors())
            )
        if allowed[sentence]:
            continue
        out.append((entry, start, end))
    return out


def lexicon_findings(lex: Lexicon, doc: Doc) -> list[Finding]:
    return [make_finding(lex, doc, s, e, entry.message) for entry, s, e in matches(lex, doc)]


def pattern_rule(rule_id: str, doc: Doc) -> list[Finding]:
    """A rule that is its lexicon's matches and nothing more."""
    lex: Lexicon = lexicons()[rule_id]
    return lexicon_findings(lex, doc)
