"""The generic lexicon engine: phrase matches, negation and sentence exemptions."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from service.analysis._lexicon import Entry
from service.analysis._matcher import Compiled, Lexicon, all_anchors, candidate_index, lexicons
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


_TOKEN_LOOKBACK = 400  # characters searched back for the last few words


def is_negated(doc: Doc, start: int) -> bool:
    """True when a negator occurs in the few words before `start`, within its clause.

    Bounded work per call: the clause breaks of a sentence and the
    pressure-removing phrases of the message are found once per message
    (`_clause_breaks`, `_clause_negations`), and the last words are read from
    at most `_TOKEN_LOOKBACK` characters back, so a long sentence full of
    matches costs linear time, not quadratic.
    """
    sentence = doc.sentence_at(start)
    ends = _clause_breaks(doc, sentence)
    i = bisect_right(ends, start) - 1
    clause_start = ends[i] if i >= 0 else sentence[0]
    window = doc.norm[max(clause_start, start - _TOKEN_LOOKBACK) : start]
    tokens = _TOKEN.findall(window)[-_NEGATION_WINDOW:]
    if any(t in _NEGATORS or t.endswith("n't") for t in tokens):
        return True
    starts, stops = _clause_negations(doc)
    j = bisect_left(starts, clause_start)
    return j < len(starts) and stops[j] <= start


def _clause_breaks(doc: Doc, sentence: tuple[int, int]) -> list[int]:
    """Where the clauses of a sentence start (ends of clause breaks), once per sentence.

    Read up to the next sentence's start: a position between two sentences
    belongs to the first (Doc.sentence_at), and so may a break that ends there.
    """
    cache: dict[int, list[int]] = doc.memo.setdefault("clause_breaks", {})
    s = sentence[0]
    found = cache.get(s)
    if found is None:
        i = bisect_right(doc._starts, s)
        e = doc._starts[i] if i < len(doc._starts) else len(doc.norm)
        found = [s + m.end() for m in _CLAUSE_BREAK.finditer(doc.norm[s:e])]
        cache[s] = found
    return found


def _clause_negations(doc: Doc) -> tuple[list[int], list[int]]:
    """Starts and ends of the pressure-removing phrases of the message, once per message."""
    found: tuple[list[int], list[int]] | None = doc.memo.get("clause_negations")
    if found is None:
        spans = [m.span() for m in _CLAUSE_NEGATION.finditer(doc.norm)]
        found = ([s for s, _ in spans], [e for _, e in spans])
        doc.memo["clause_negations"] = found
    return found


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


# Work bound (docs/analyzer.md, "Bounded work"): a rule reports at most this many
# phrase hits per message, the first ones. No real message comes near it, and a
# rule that fires at all still fires (so the guard's verdict cannot change).
MAX_RULE_HITS = 50


def match_hits(match: Compiled, doc: Doc, text: str | None = None) -> list[tuple[Entry, int, int]]:
    """Every hit of a rule's `match` list in the message (or in `text`, a prefix of
    it), before negation and `allow`; found once per message and text, shared, not
    to be modified.

    Fact extraction masks the placeholder rule's hits, which the rule itself
    reports too: on a long message full of candidates (a run of "<") one scan of
    that list costs milliseconds, and it ran twice.
    """
    memo: dict[Compiled, tuple[str, list[tuple[Entry, int, int]]]]
    memo = doc.memo.setdefault("match_hits", {})
    if text is None:
        text = doc.norm
    cached = memo.get(match)
    if cached is not None and cached[0] == text:
        return cached[1]
    if text == doc.norm:
        present = doc.present(all_anchors())
        found = match.finditer(text, present=present, starts=doc.starts(candidate_index()))
    else:
        found = match.finditer(text)
    memo[match] = (text, found)
    return found


def matches(lex: Lexicon, doc: Doc) -> list[tuple[Entry, int, int]]:
    """Lexicon hits that survive negation and the sentence-level `allow` list (the
    first `MAX_RULE_HITS` of them).
    """
    out: list[tuple[Entry, int, int]] = []
    allowed: dict[tuple[int, int], bool] = {}
    hits = match_hits(lex.match, doc)
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
        if len(out) >= MAX_RULE_HITS:
            break
    return out


def lexicon_findings(lex: Lexicon, doc: Doc) -> list[Finding]:
    return [make_finding(lex, doc, s, e, entry.message) for entry, s, e in matches(lex, doc)]


def pattern_rule(rule_id: str, doc: Doc) -> list[Finding]:
    """A rule that is its lexicon's matches and nothing more."""
    lex: Lexicon = lexicons()[rule_id]
    return lexicon_findings(lex, doc)
