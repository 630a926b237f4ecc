"""Rule lexicons: one TOML file per rule in `lexicons/`, and the schema they follow.

A file holds the rule's catalogue entry (severity, principle, title,
description, message) and its pattern lists. Every pattern entry carries an
`intent` that says what it is for. Unknown keys are rejected so a typo in a
data file fails loudly at import time instead of silently matching nothing.
Adding a phrase is a data change only. Compiling the lists is the matcher's
business (_matcher.py).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from service.analysis._pattern_source import (
    LEFT,
    RIGHT,
    flexible_spaces,
    top_level_alternatives,
)
from service.datafile import Strict, load_toml
from service.errors import DataFileInvalid
from service.models import RULE_IDS, PrincipleId, Severity

LEXICON_DIR = Path(__file__).with_name("lexicons")


class Entry(Strict):
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
        if self.bounded and any(alt.endswith(" ") for alt in top_level_alternatives(self.body())):
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
        body = flexible_spaces(self.body())
        return f"{LEFT}(?:{body}){RIGHT}" if self.bounded else body


class RuleMeta(Strict):
    id: str
    severity: Severity
    principle: PrincipleId
    title: str
    description: str
    message: str
    # The guard blocks a rewrite that carries this rule's finding whatever its
    # severity (a warning on a draft, a stop on what Tactful itself writes).
    blocks_rewrites: bool = False
    # The rule only runs when a context (or the original draft) is given.
    needs_context: bool = False


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


def load_file(path: Path) -> RuleFile:
    """One lexicon, validated; a bad file is `DataFileInvalid` naming the place."""
    return load_toml(RuleFile, path, file=f"lexicons/{path.name}")


@cache
def rule_files() -> dict[str, RuleFile]:
    """Every rule's data file, keyed by rule id; each rule id must have a file."""
    out: dict[str, RuleFile] = {}
    for path in sorted(LEXICON_DIR.glob("*.toml")):
        rule = load_file(path)
        if rule.id != path.stem:
            raise DataFileInvalid(f"lexicons/{path.name}", "id", f"declares {rule.id!r}")
        out[rule.id] = rule
    missing = set(RULE_IDS) - set(out)
    if missing:
        raise DataFileInvalid("lexicons/", "", f"no file for {sorted(missing)}")
    return out
