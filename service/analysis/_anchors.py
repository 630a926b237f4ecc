"""Required literals ("anchors") of a regex, used to skip patterns cheaply.

For each pattern we derive a set of literal strings such that every match
contains at least one of them ("per my last email" -> {"per"}... the longest
required word wins; `(?:reply|respond)` -> {"reply", "respond"}). If none of
a pattern's anchors occurs in the text, the pattern cannot match and is not
run: most drafts contain none of a rule's trigger words, so most regexes are
skipped after a few substring checks. A pattern with no derivable anchor is
always run. This is only a filter; matching semantics are unchanged.
"""

from __future__ import annotations

import re._parser as _sre  # type: ignore[import-not-found]  # stdlib regex parser
from typing import Any

_LITERAL = _sre.LITERAL
_BRANCH = _sre.BRANCH
_SUBPATTERN = _sre.SUBPATTERN
_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None))
_ZERO_WIDTH = (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT)

Anchors = frozenset[str] | None


def anchors(source: str) -> Anchors:
    """Literals of which at least one occurs in every match of `source`; None if unknown."""
    return _sequence(list(_sre.parse(source)))


# Words in nearly every message: an anchor set containing one filters nothing.
_COMMON = frozenset(
    [
        "you",
        "your",
        "you're",
        "you've",
        "you'll",
        "i",
        "i'm",
        "i've",
        "i'll",
        "i'd",
        "we",
        "we're",
        "our",
        "us",
        "the",
        "a",
        "an",
        "and",
        "or",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "it",
        "is",
        "are",
        "was",
        "be",
        "this",
        "that",
        "with",
        "have",
        "has",
        "can",
        "will",
        "would",
        "could",
        "just",
        "so",
        "if",
        "my",
        "me",
        "not",
        "no",
        "do",
        "what",
        "when",
        "how",
        "all",
        "any",
        "get",
    ]
)


def _rank(anchor_set: frozenset[str]) -> tuple[int, int]:
    """Prefer anchors whose shortest member is longer (rarer), then fewer members."""
    return (min(0 if s.strip() in _COMMON else len(s) for s in anchor_set), -len(anchor_set))


def _better(a: frozenset[str], b: frozenset[str] | None) -> bool:
    return b is None or _rank(a) > _rank(b)


def _sequence(items: list[tuple[Any, Any]]) -> Anchors:
    best: frozenset[str] | None = None
    run: list[str] = []

    def flush() -> None:
        nonlocal best
        if run:
            candidate = frozenset({"".join(run)})
            if _better(candidate, best):
                best = candidate
            run.clear()

    for op, av in items:
        if op is _LITERAL:
            run.append(chr(av))
            continue
        if op in _ZERO_WIDTH:
            continue  # takes no characters: a literal run continues across it
        flush()
        sub = _required(op, av)
        if sub is not None and _better(sub, best):
            best = sub
    flush()
    return best


def _required(op: Any, av: Any) -> Anchors:
    if op is _SUBPATTERN:
        return _sequence(list(av[-1]))
    if op is _BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            sub = _sequence(list(branch))
            if sub is None:
                return None
            union |= sub
        return frozenset(union)
    if op in _REPEATS and av[0] >= 1:
        return _sequence(list(av[2]))
    return None
