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
from collections.abc import Set as AbstractSet
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.models import RULE_IDS, PrincipleId, Severity

from ._anchors import Anchors, anchors
from ._dispatch import dispatch_compile

LEXICON_DIR = Path(__file__).with_name("lexicons")

# Wrapped around every pattern so that "leverage" never matches inside "leveraged".
_LEFT = r"(?<![0-9a-z\u00c0-\u024f])"
_RIGHT = r"(?![0-9a-z\u00c0-\u024f])"
_BOUNDARY_CHAR = r"[^0-9a-z\u00c0-\u024f]"


# Texting shorthand a pattern's "you"/"your" also accepts ("did u get my msg").
_TEXTING = (("your", "(?:your|ur)"), ("you", "(?:you|u)"))


def _texting_form(source: str, i: int) -> tuple[str, str] | None:
    """("you", "(?:you|u)") when a literal word "you"/"your" starts at `i` in a pattern."""
    if i and (source[i - 1].isalnum() or source[i - 1] == "\\"):
        return None
    for word, alternative in _TEXTING:
        end = i + len(word)
        if source.startswith(word, i) and (end == len(source) or not source[end].isalnum()):
            return word, alternative
    return None


def _flexible_spaces(source: str) -> str:
    """A literal space in a pattern matches any run of whitespace; "you" also matches "u".

    Authors write readable patterns ("just checking in"); drafts have double
    spaces and line breaks, and texts say "u"/"ur". Spaces and words inside
    [...] classes and look-behinds (which must stay fixed-width) are left alone.
    """
    source = source.replace("[- ]", "(?:-| )")  # "check-in" / "check  in"
    out: list[str] = []
    groups: list[bool] = []  # one entry per open group: is it a look-behind?
    in_class = escaped = False
    skip = 0
    for i, ch in enumerate(source):
        if skip:  # characters already emitted in rewritten form
            skip -= 1
            continue
        if not (escaped or in_class or any(groups)) and (short := _texting_form(source, i)):
            word, alternative = short
            out.append(alternative)
            skip = len(word) - 1
            continue
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            groups.append(source.startswith(("?<=", "?<!"), i + 1))
        elif ch == ")" and groups:
            groups.pop()
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
    parts, depth, start, escaped, in_class = [], 0, 0, False, False
    for i, ch in enumerate(source):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
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
    """A list of entries with their anchors, scanned as one alternation.

    Only entries with an anchor (a required literal, see _anchors.py) in the
    text take part; the alternation of those entries is compiled once per
    distinct active set and cached, so a message is scanned once per rule.
    The entry behind a hit is identified afterwards (hits are rare).
    """

    __slots__ = ("_combined", "_full", "_seen", "anchors", "entries", "singles", "sources")

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = tuple(entries)
        self.sources = tuple(_flexible_spaces(e.body()) for e in entries)
        self.singles = tuple(re.compile(e.regex_source()) for e in entries)
        self.anchors: tuple[Anchors, ...] = tuple(anchors(e.regex_source()) for e in entries)
        self._full: tuple[re.Pattern[str], bool] | None = None
        self._combined: dict[tuple[int, ...], tuple[re.Pattern[str], bool]] = {}
        self._seen: dict[tuple[object, ...], int] = {}

    def all_anchors(self) -> frozenset[str]:
        return frozenset(a for anchor_set in self.anchors if anchor_set for a in anchor_set)

    def _active(self, present: AbstractSet[str]) -> tuple[int, ...]:
        return tuple(
            i
            for i, anchor_set in enumerate(self.anchors)
            if anchor_set is None or not anchor_set.isdisjoint(present)
        )

    def _present(self, text: str) -> frozenset[str]:
        return frozenset(a for a in self.all_anchors() if a in text)

    def _regex(
        self, active: tuple[int, ...], sighting: tuple[object, ...]
    ) -> tuple[re.Pattern[str], bool]:
        """The alternation to scan with, and whether it runs on padded text.

        A message's active set (entries whose anchors occur) is usually new, so
        the default is the alternation of all entries, compiled once: no compile
        per message. An active set seen before (the same draft re-analysed on a
        keystroke pause, a rewrite checked twice) gets its own smaller
        alternation, compiled on the second sighting of the same (text, span)
        and cached.
        """
        cached = self._combined.get(active)
        if cached is not None:
            return cached
        seen = self._seen.get(sighting, 0) + 1
        if seen < _SPECIALISE_AFTER:
            if len(self._seen) >= _MAX_COMBINED:
                self._seen.clear()
            self._seen[sighting] = seen
            if self._full is None:
                self._full = self._compile(tuple(range(len(self.entries))))
            return self._full
        if len(self._combined) >= _MAX_COMBINED:
            self._combined.clear()
        cached = self._combined[active] = self._compile(active)
        return cached

    def _compile(self, active: tuple[int, ...]) -> tuple[re.Pattern[str], bool]:
        """When every entry is word-bounded, the pattern consumes the character
        before the match ("[^a-z0-9](...)") instead of a look-behind, so the
        regex engine can jump between candidate positions with its fast
        character-class scan; it then runs on " " + text so a match can start at 0.
        """
        source, padded = alternation_source(
            [self.sources[i] for i in active if self.entries[i].bounded],
            [self.sources[i] for i in active if not self.entries[i].bounded],
        )
        return (dispatch_compile(source, group=1), padded)

    def _spans(
        self, active: tuple[int, ...], text: str, start: int, stop: int
    ) -> list[tuple[int, int]]:
        regex, padded = self._regex(active, (active, hash(text), start, stop))
        if padded:
            return [
                (m.start(1) - 1, m.end(1) - 1)
                for m in regex.finditer(" " + text, start, stop + 1)
                if m.end(1) > m.start(1)
            ]
        return [m.span(1) for m in regex.finditer(text, start, stop) if m.end(1) > m.start(1)]

    def _which(self, active: tuple[int, ...], text: str, start: int, end: int) -> Entry:
        fallback: Entry | None = None
        for i in active:
            m = self.singles[i].match(text, start)
            if m is not None:
                if m.end() == end:
                    return self.entries[i]
                fallback = fallback or self.entries[i]
        # The alternation matched, so some entry matches here; entries[0] is a formality.
        return fallback or self.entries[active[0]]

    def finditer(
        self,
        text: str,
        start: int = 0,
        end: int | None = None,
        present: AbstractSet[str] | None = None,
    ) -> list[tuple[Entry, int, int]]:
        active = self._active(self._present(text) if present is None else present)
        if not active:
            return []
        stop = len(text) if end is None else end
        return [
            (self._which(active, text, s, e), s, e)
            for s, e in self._spans(active, text, start, stop)
        ]

    def search(
        self,
        text: str,
        start: int = 0,
        end: int | None = None,
        present: AbstractSet[str] | None = None,
    ) -> bool:
        active = self._active(self._present(text) if present is None else present)
        if not active:
            return False
        stop = len(text) if end is None else end
        regex, padded = self._regex(active, (active, hash(text), start, stop))
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


# Specialised alternations: compiled for an active set seen this many times, at
# most this many kept per pattern list.
_SPECIALISE_AFTER = 2
_MAX_COMBINED = 512


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
