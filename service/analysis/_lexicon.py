"""Rule lexicons: one TOML file per rule in `lexicons/`, validated and compiled once.

A file holds the rule's catalogue entry (severity, principle, title,
description, message) and its pattern lists. Every pattern entry carries an
`intent` that says what it is for. Unknown keys are rejected so a typo in a
data file fails loudly at import time instead of silently matching nothing.
Adding a phrase is a data change only.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.models import RULE_IDS, PrincipleId, Severity

from ._anchors import Anchors, anchors
from ._dispatch import dispatch_compile, first_chars

LEXICON_DIR = Path(__file__).with_name("lexicons")

# Wrapped around every pattern so that "leverage" never matches inside "leveraged".
_LEFT = r"(?<![0-9a-z\u00c0-\u024f])"
_RIGHT = r"(?![0-9a-z\u00c0-\u024f])"
_BOUNDARY_CHAR = r"[^0-9a-z\u00c0-\u024f]"


# Texting shorthand a pattern's "you"/"your" also accepts ("did u get my msg").
_TEXTING = (
    ("your", "(?:your|ur)"),
    ("you", "(?:you|u)"),
    ("are", "(?:are|r)"),
    ("weeks", "(?:weeks|wks)"),
    ("week", "(?:week|wk)"),
    ("tomorrow", "(?:tomorrow|tmrw|tmr|2moro)"),
    ("please", "(?:please|pls|plz)"),
    ("with", "(?:with|w/)"),
)


def _texting_form(source: str, i: int) -> tuple[str, str] | None:
    """("you", "(?:you|u)") when a literal word "you"/"your" starts at `i` in a pattern."""
    if i and (source[i - 1].isalnum() or source[i - 1] == "\\"):
        return None
    for word, alternative in _TEXTING:
        end = i + len(word)
        # Not when a quantifier follows: in "weeks?" the "?" belongs to the "s" alone.
        if source.startswith(word, i) and (
            end == len(source) or not (source[end].isalnum() or source[end] in "?*+{")
        ):
            return word, alternative
    return None


def _syntax(source: str) -> Iterator[tuple[int, str, bool]]:
    """(index, character, is_syntax) over a regex: is_syntax is False for an escaped
    character or one inside a [...] class, whose meaning is literal."""
    in_class = escaped = False
    for i, ch in enumerate(source):
        if escaped:
            escaped = False
            yield i, ch, False
        elif ch == "\\":
            escaped = True
            yield i, ch, False
        elif in_class:
            in_class = ch != "]"
            yield i, ch, False
        else:
            in_class = ch == "["
            yield i, ch, not in_class


def _flexible_spaces(source: str) -> str:
    """A literal space in a pattern matches any run of whitespace; "you" also matches "u".

    Authors write readable patterns ("just checking in"); drafts have double
    spaces and line breaks, and texts say "u"/"ur". Spaces and words inside
    [...] classes and look-behinds (which must stay fixed-width) are left alone.
    """
    source = source.replace("[- ]", "(?:-| )")  # "check-in" / "check  in"
    out: list[str] = []
    groups: list[bool] = []  # one entry per open group: is it a look-behind?
    skip = 0
    for i, ch, syntax in _syntax(source):
        if skip:  # characters already emitted in rewritten form
            skip -= 1
            continue
        if syntax and not any(groups) and (short := _texting_form(source, i)):
            word, alternative = short
            out.append(alternative)
            skip = len(word) - 1
            continue
        if not syntax:
            pass
        elif ch == "(":
            groups.append(source.startswith(("?<=", "?<!"), i + 1))
        elif ch == ")" and groups:
            groups.pop()
        elif ch == "'" and not any(groups) and not source.startswith("?", i + 1):
            out.append("'?")  # "im", "ive", "its": texts drop apostrophes
            continue
        elif ch == " " and not any(groups):
            optional = source.startswith("?", i + 1)
            out.append(r"\s*" if optional else r"\s+")
            skip = 1 if optional else 0
            continue
        out.append(ch)
    return "".join(out)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(_Frozen):
    """One phrase or regex. Matching runs on lower-cased text with straight quotes."""

    intent: Annotated[str, Field(min_length=3)]
    phrase: str | None = None
    pattern: str | None = None
    # When true, a negation just before the match ("no pressure to decide now",
    # "there's no deadline") cancels it.
    negatable: bool = True
    # False for patterns that start or end with punctuation (e.g. "[Name]").
    bounded: bool = True
    # True when the phrase is fine if the message also brings something concrete
    # (the rule's `value` list): "following up" with a checklist attached.
    excused_by_value: bool = False
    message: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Entry:
        if (self.phrase is None) == (self.pattern is None):
            raise ValueError("an entry needs exactly one of `phrase` or `pattern`")
        source = self.regex_source()
        if self.bounded and any(alt.endswith(" ") for alt in _top_level_alternatives(self.body())):
            # The word boundary after the match could then never hold: a silent dead branch.
            raise ValueError(f"a bounded pattern's alternative ends with a space: {self.body()!r}")
        if "(?P<" in source:
            raise ValueError("named groups are reserved for the engine")
        try:
            re.compile(source)
        except re.error as exc:
            raise ValueError(f"bad pattern {source!r}: {exc}") from exc
        return self

    def body(self) -> str:
        """The regex without word boundaries."""
        if self.pattern is not None:
            return self.pattern
        words = (self.phrase or "").lower().replace("\u2019", "'").split()
        # "didn't" also matches "didnt"; spaces match any run of whitespace.
        return r"\s+".join(re.escape(w).replace("'", "'?") for w in words)

    def regex_source(self) -> str:
        body = _flexible_spaces(self.body())
        return f"{_LEFT}(?:{body}){_RIGHT}" if self.bounded else body


def _top_level_alternatives(source: str) -> list[str]:
    """`source` split at the `|` that are outside groups and classes."""
    parts, depth, start = [], 0, 0
    for i, ch, syntax in _syntax(source):
        if not syntax:
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
    parts.append(source[start:])
    return parts


class RuleMeta(_Frozen):
    id: str
    severity: Severity
    principle: PrincipleId
    title: str
    description: str
    message: str


class RuleFile(RuleMeta):
    """A rule's data file. `match` finds offences; the other lists refine them."""

    match: list[Entry] = Field(default_factory=list)
    # A sentence that matches an `allow` entry is exempt (e.g. a free trial
    # offered to fit the buyer's schedule is not a desperate discount).
    allow: list[Entry] = Field(default_factory=list)
    # Rule-specific helper lists, read by code: e.g. `value` (evidence of a useful
    # bite that makes a check-in forgivable), `invite` (an easy next step).
    value: list[Entry] = Field(default_factory=list)
    invite: list[Entry] = Field(default_factory=list)
    # invented_fact: sentences of untrusted text (notes, prospect messages) that
    # instruct the writer ("add this link to your reply") vouch for nothing.
    not_support: list[Entry] = Field(default_factory=list)
    # A message that matches an `allow_message` entry anywhere is exempt from the
    # rule as a whole: "you asked whether there's a school discount" makes the
    # discount in the next sentence an answer, not a bribe.
    allow_message: list[Entry] = Field(default_factory=list)
    # Plain word lists (stop words, number words, ignored capitalised words...).
    words: dict[str, list[str]] = Field(default_factory=dict)
    # Numeric thresholds used by code, named in the file so they can be tuned.
    limits: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_id(self) -> RuleFile:
        if self.id not in RULE_IDS:
            raise ValueError(f"unknown rule id {self.id!r}")
        return self


def alternation_source(bounded: list[str], unbounded: list[str]) -> tuple[str, bool]:
    """The alternation of some entries (group 1 is the match), and whether it runs padded."""
    alternation = "|".join(f"(?:{b})" for b in bounded)
    if not unbounded:
        return _BOUNDARY_CHAR + "(" + alternation + ")" + _RIGHT, True
    parts = [_LEFT + "(?:" + alternation + ")" + _RIGHT] if bounded else []
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
        self.sources = tuple(_flexible_spaces(e.body()) for e in entries)
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

    def _compiled(self) -> tuple[re.Pattern[str], bool]:
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
        regex, padded = self._compiled()
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

    def _which(self, candidates: list[int], text: str, start: int, end: int) -> Entry:
        """The entry the alternation matched: the first that matches here with this end."""
        fallback: Entry | None = None
        for i in candidates:
            m = self.singles[i].match(text, start)
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
        non-overlapping matches, without scanning every word boundary."""
        regex, _ = self._compiled()
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
            m = regex.match(padded, pos, stop + 1)
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
        in " " + text that include every position where this list can match."""
        if not self._may_match(text, present):
            return []
        stop = len(text) if end is None else end
        if starts is not None and self.padded:
            spans = self._spans_at(text, start, stop, starts)
        else:
            spans = self._spans(text, start, stop)
        if not spans:
            return []
        candidates = self._candidates(text, present)
        return [(self._which(candidates, text, s, e), s, e) for s, e in spans]

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
        regex, padded = self._compiled()
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


def load_file(path: Path) -> RuleFile:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return RuleFile.model_validate(data)


class AnchorIndex:
    """Every anchor of every pattern list, grouped by first character."""

    def __init__(self, anchors: frozenset[str]) -> None:
        by_first: dict[str, set[str]] = {}
        for anchor in anchors:
            by_first.setdefault(anchor[0], set()).add(anchor)
        self._by_first = {c: tuple(sorted(a)) for c, a in by_first.items()}
        self.in_token = lru_cache(maxsize=65536)(self._in_token)

    def _in_token(self, token: str) -> frozenset[str]:
        """The anchors occurring inside one whitespace-free token."""
        found: list[str] = []
        for c in set(token):
            found.extend(a for a in self._by_first.get(c, ()) if a in token)
        return frozenset(found)


class CandidateIndex:
    """One scan that finds every position where some lexicon `match` list can match.

    The union of all word-bounded match lists, compiled as one trie inside a
    look-ahead: each match is zero-width, so overlapping candidates are all
    reported. A list then only tries at these positions (Compiled._spans_at),
    which replaces a dozen full scans of the message with one.
    """

    def __init__(self, lists: list[Compiled]) -> None:
        sources = list(dict.fromkeys(s for c in lists if c.padded for s in c.sources))
        alternation = "|".join(f"(?:{s})" for s in sources)
        self._regex = dispatch_compile(
            _BOUNDARY_CHAR + "(?=(" + alternation + ")" + _RIGHT + ")", group=1, ordered=False
        )

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
    """Every rule's lexicon, keyed by rule id; each rule id must have a file."""
    out: dict[str, Lexicon] = {}
    for path in sorted(LEXICON_DIR.glob("*.toml")):
        rule = load_file(path)
        if rule.id != path.stem:
            raise ValueError(f"{path.name} declares id {rule.id!r}")
        out[rule.id] = Lexicon(rule)
    missing = set(RULE_IDS) - set(out)
    if missing:
        raise ValueError(f"no lexicon file for {sorted(missing)}")
    return out
