"""The matcher: a rule's pattern lists compiled and scanned (the schema is _lexicon.py).

Each list runs as one alternation compiled as a trie (_dispatch.py), skipped
when none of its anchors (_anchors.py) occurs in the text; one candidate scan
finds every position where some `match` list can match.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from functools import cache, lru_cache
from typing import Any

from service.analysis._anchors import Anchors, anchors
from service.analysis._dispatch import dispatch_compile, first_chars, leading_class
from service.analysis._lexicon import Entry, RuleFile, rule_files
from service.analysis._pattern_source import BOUNDARY_CHAR, LEFT, RIGHT, flexible_spaces

# A lexicon match is at most MAX_MATCH_CHARS long, and patterns look at most
# LOOKAROUND_CHARS past a match's end: an anchored attempt is handed only that
# window, so its work is bounded whatever the length of the message
# (docs/analyzer.md, "Bounded work").
MAX_MATCH_CHARS = 500
LOOKAROUND_CHARS = 100
_WINDOW = MAX_MATCH_CHARS + LOOKAROUND_CHARS


def alternation_source(bounded: list[str], unbounded: list[str]) -> tuple[str, bool]:
    """The alternation of some entries (group 1 is the match), and whether it runs padded."""
    alternation = "|".join(f"(?:{b})" for b in bounded)
    if not unbounded:
        return BOUNDARY_CHAR + "(" + alternation + ")" + RIGHT, True
    parts = [LEFT + "(?:" + alternation + ")" + RIGHT] if bounded else []
    parts.extend(f"(?:{b})" for b in unbounded)
    return "(" + "|".join(parts) + ")", False


class Compiled:
    """A list of entries scanned as one alternation, compiled once as a trie.

    Each entry has anchors (required literals, see _anchors.py): when none of
    the list's anchors occurs in the text, no entry can match and the scan is
    skipped, which is the common case for most rules. Otherwise the whole
    list's alternation runs once (_dispatch.py makes that cheap at every
    position); the entry behind a hit is identified afterwards (hits are rare).
    """

    __slots__ = (
        "_always",
        "_anchor_union",
        "_by_anchor",
        "_first",
        "_regex",
        "_unanchored",
        "anchors",
        "entries",
        "padded",
        "singles",
        "sources",
    )

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = tuple(entries)
        self.sources = tuple(flexible_spaces(e.body()) for e in entries)
        self.singles = tuple(re.compile(e.regex_source()) for e in entries)
        self.anchors: tuple[Anchors, ...] = tuple(anchors(e.regex_source()) for e in entries)
        self._anchor_union = self.all_anchors()
        self._always = any(a is None for a in self.anchors)  # an entry without anchors
        self._unanchored = tuple(i for i, a in enumerate(self.anchors) if a is None)
        self._by_anchor: dict[str, list[int]] = {}
        for i, anchor_set in enumerate(self.anchors):
            for anchor in anchor_set or ():
                self._by_anchor.setdefault(anchor, []).append(i)
        self._regex: tuple[re.Pattern[str], bool] | None = None
        self.padded = all(e.bounded for e in self.entries)  # the list scans " " + text
        # Characters a bounded match can start with (None: any): positions whose
        # character is not among them are skipped without calling the regex.
        self._first: frozenset[str] | None = self._first_chars()

    def all_anchors(self) -> frozenset[str]:
        return frozenset(a for anchor_set in self.anchors if anchor_set for a in anchor_set)

    def _may_match(self, text: str, present: AbstractSet[str] | None) -> bool:
        if not self.entries:
            return False
        if self._always:
            return True
        if present is None:
            return any(a in text for a in self._anchor_union)
        return not self._anchor_union.isdisjoint(present)

    def compiled(self) -> tuple[re.Pattern[str], bool]:
        """The alternation, and whether it runs on padded text.

        When every entry is word-bounded, the pattern consumes the character
        before the match ("[^a-z0-9](...)") instead of a look-behind, so the
        regex engine can jump between candidate positions with its fast
        character-class scan; it then runs on " " + text so a match can start at 0.
        """
        if self._regex is None:
            source, padded = alternation_source(
                [s for s, e in zip(self.sources, self.entries, strict=True) if e.bounded],
                [s for s, e in zip(self.sources, self.entries, strict=True) if not e.bounded],
            )
            self._regex = (dispatch_compile(source, group=1), padded)
        return self._regex

    def _spans(self, text: str, start: int, stop: int) -> list[tuple[int, int]]:
        regex, padded = self.compiled()
        if padded:
            return [
                (m.start(1) - 1, m.end(1) - 1)
                for m in regex.finditer(" " + text, start, stop + 1)
                if m.end(1) > m.start(1)
            ]
        return [m.span(1) for m in regex.finditer(text, start, stop) if m.end(1) > m.start(1)]

    def _candidates(self, text: str, present: AbstractSet[str] | None) -> list[int]:
        """Entries that can match at all: those with an anchor in the text (in order)."""
        if present is None:
            present = {a for a in self._anchor_union if a in text}
        found = set(self._unanchored)
        for anchor in self._anchor_union.intersection(present):
            found.update(self._by_anchor[anchor])
        return sorted(found)

    def _which(self, candidates: list[int], text: str, start: int, end: int, stop: int) -> Entry:
        """The entry the alternation matched: the first that matches here with this end.

        `stop` is the end of the text the alternation saw when it matched.
        """
        fallback: Entry | None = None
        for i in candidates:
            m = self.singles[i].match(text, start, stop)
            if m is not None:
                if m.end() == end:
                    return self.entries[i]
                fallback = fallback or self.entries[i]
        # The alternation matched, so some entry matches here; this is a formality.
        return fallback or self.entries[candidates[0] if candidates else 0]

    def _first_chars(self) -> frozenset[str] | None:
        found: set[str] = set()
        for source in self.sources:
            chars = first_chars(source)
            if chars is None:
                return None
            found |= chars
        return frozenset(found)

    def _spans_at(
        self, text: str, start: int, stop: int, starts: list[int]
    ) -> list[tuple[int, int]]:
        """What `_spans` finds, trying only at `starts` (padded positions where some
        entry of some list matches, see CandidateIndex): the same leftmost,
        non-overlapping matches, without scanning every word boundary.
        """
        regex, _ = self.compiled()
        padded = " " + text
        out: list[tuple[int, int]] = []
        cursor = start
        first = self._first
        for pos in starts:
            if pos < cursor:
                continue
            if pos > stop:
                break
            if first is not None and (pos + 1 >= len(padded) or padded[pos + 1] not in first):
                continue
            window_end = min(stop + 1, pos + _WINDOW)
            m = regex.match(padded, pos, window_end)
            if m is not None and window_end < stop + 1 and m.end() - pos > MAX_MATCH_CHARS:
                m = None  # longer than any lexicon match may be (see MAX_MATCH_CHARS)
            if m is not None and m.end(1) > m.start(1):
                out.append((m.start(1) - 1, m.end(1) - 1))
                cursor = m.end()
        return out

    def finditer(
        self,
        text: str,
        start: int = 0,
        end: int | None = None,
        present: AbstractSet[str] | None = None,
        starts: list[int] | None = None,
    ) -> list[tuple[Entry, int, int]]:
        """Every match, leftmost first; `starts` (optional) are candidate start positions
        in " " + text that include every position where this list can match.
        """
        if not self._may_match(text, present):
            return []
        stop = len(text) if end is None else end
        windowed = starts is not None and self.padded
        if windowed:
            spans = self._spans_at(text, start, stop, starts or [])
        else:
            spans = self._spans(text, start, stop)
        if not spans:
            return []
        candidates = self._candidates(text, present)
        # An entry is identified within the window a match may span (MAX_MATCH_CHARS).
        return [
            (self._which(candidates, text, s, e, min(stop, s + _WINDOW - 1)), s, e)
            for s, e in spans
        ]

    def search(
        self,
        text: str,
        start: int = 0,
        end: int | None = None,
        present: AbstractSet[str] | None = None,
    ) -> bool:
        if not self._may_match(text, present):
            return False
        stop = len(text) if end is None else end
        regex, padded = self.compiled()
        if padded:
            return regex.search(" " + text, start, stop + 1) is not None
        return regex.search(text, start, stop) is not None


class Lexicon:
    """A loaded rule file with its pattern lists compiled."""

    __slots__ = ("allow", "allow_message", "file", "invite", "match", "not_support", "value")

    def __init__(self, file: RuleFile) -> None:
        self.file = file
        self.match = Compiled(file.match)
        self.allow = Compiled(file.allow)
        self.value = Compiled(file.value)
        self.invite = Compiled(file.invite)
        self.not_support = Compiled(file.not_support)
        self.allow_message = Compiled(file.allow_message)


class AnchorIndex:
    """Every anchor of every pattern list, in a character trie."""

    def __init__(self, anchors: frozenset[str]) -> None:
        # A character trie: node[ch] is the next node, node[""] the anchor ending here.
        self._trie: dict[str, Any] = {}
        for anchor in sorted(anchors):
            node = self._trie
            for ch in anchor:
                node = node.setdefault(ch, {})
            node[""] = anchor
        self.in_token = lru_cache(maxsize=65536)(self._in_token)

    def _in_token(self, token: str) -> frozenset[str]:
        """The anchors occurring inside one whitespace-free token: the trie walked from
        each position (at most the longest anchor's length per position).
        """
        found: list[str] = []
        trie = self._trie
        n = len(token)
        for i in range(n):
            node = trie.get(token[i])
            j = i + 1
            while node is not None:
                anchor = node.get("")
                if anchor is not None:
                    found.append(anchor)
                if j >= n:
                    break
                node = node.get(token[j])
                j += 1
        return frozenset(found)


class CandidateIndex:
    """One scan that finds every position where some lexicon `match` list can match.

    The union of all word-bounded match lists, compiled as one trie inside a
    look-ahead: each match is zero-width, so overlapping candidates are all
    reported. A list then only tries at these positions (Compiled._spans_at),
    which replaces a dozen full scans of the message with one.

    Before the union, a one-character look-ahead checks that the next character
    can start some entry at all (`leading_class`): on a run of punctuation or
    symbols every character is a boundary, and without it the union's
    alternatives were tried at each one (about 0.4 microseconds per character).
    """

    def __init__(self, lists: list[Compiled]) -> None:
        sources = list(dict.fromkeys(s for c in lists if c.padded for s in c.sources))
        alternation = "|".join(f"(?:{s})" for s in sources)
        lead = leading_class(alternation)
        prefilter = "" if lead is None else "(?=" + lead + ")"
        self.source = BOUNDARY_CHAR + prefilter + "(?=(" + alternation + ")" + RIGHT + ")"
        self._regex = dispatch_compile(self.source, group=1, ordered=False)

    def starts(self, text: str) -> list[int]:
        """Positions in " " + text (the boundary character before a possible match)."""
        return [m.start() for m in self._regex.finditer(" " + text)]


@cache
def candidate_index() -> CandidateIndex:
    return CandidateIndex([lex.match for lex in lexicons().values()])


@cache
def all_anchors() -> AnchorIndex:
    """Every anchor of every pattern list: checked once per message (see Doc.present)."""
    found: set[str] = set()
    for lex in lexicons().values():
        lists = (lex.match, lex.allow, lex.value, lex.invite, lex.not_support, lex.allow_message)
        for compiled in lists:
            found |= compiled.all_anchors()
    if any(ch.isspace() for anchor in found for ch in anchor):
        raise ValueError("anchors must not contain whitespace (Doc.present relies on it)")
    return AnchorIndex(frozenset(found))


@cache
def lexicons() -> dict[str, Lexicon]:
    """Every rule's lexicon with its lists compiled, keyed by rule id."""
    return {rule_id: Lexicon(file) for rule_id, file in rule_files().items()}


def compile_all() -> int:
    """Compile every pattern list and the shared indexes now; returns how many lists.

    A list compiles on first use otherwise, and a large one takes milliseconds:
    the first request whose text can match it would pay for it (service start-up
    calls this through `service.analysis.compile_lexicons`).
    """
    count = 0
    for lex in lexicons().values():
        for compiled in (
            lex.match, lex.allow, lex.value, lex.invite, lex.not_support, lex.allow_message
        ):  # fmt: skip
            if compiled.entries:
                compiled.compiled()
                count += 1
    candidate_index()
    all_anchors()
    return count
