"""Offset-preserving normalisation and sentence/word segmentation.

Every rule matches on a normalised copy of the body (lower case, straight
quotes, plain dashes and spaces) that has exactly the same length as the
original, so a match's offsets index the original body unchanged: a UI can
underline `body[start:end]` even when the text has curly quotes or emoji.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from service.analysis._fact_keys import Fact
from service.analysis._matcher import AnchorIndex, CandidateIndex

# One character in, one character out: offsets survive the translation.
_FOLD = str.maketrans(
    {
        "\u2018": "'",  # left single quote
        "\u2019": "'",  # right single quote / curly apostrophe
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",  # prime, often typed for an apostrophe
        "\u00b4": "'",  # acute accent used as apostrophe
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u00a0": " ",  # no-break space
        "\u2007": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u200a": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2212": "-",
        "\u2026": ".",  # ellipsis character (one char -> one char)
        "\r": "\n",
    }
)

# A sentence ends at terminal punctuation followed by space/end, or at a line break.
# An emoji followed by a capitalised word also ends one ("love it 🙌 Are the...").
# The look-behind lets only the first mark of a run try: a run either ends a
# sentence from its first mark or not at all, and trying every mark of a long
# run ("!!!!...a") would rescan the run from each one (quadratic).
_SENTENCE_END = re.compile(
    r"(?<![.!?])[.!?]+[\"')\]]*(?=\s|$)|\n|[\U0001f000-\U0001faff\u2600-\u27bf](?=\s+[A-Za-z])"
)
_WORD = re.compile(r"[0-9a-z\u00c0-\u024f]+(?:['\-][0-9a-z\u00c0-\u024f]+)*")
# What the length budget counts as a word: a whitespace-separated token with a
# letter or digit in it (so "$1,200" and a URL are one word each, a lone dash
# or emoji none). Never more than `len(body.split())`, which the composer uses.
# Tokens are found first and tested after: one pattern for both
# ("[^\s]*[a-z][^\s]*") backtracks quadratically on a long run of punctuation.
_TOKEN = re.compile(r"\S+")
_HAS_WORD = re.compile(r"[0-9A-Za-z\u00c0-\u024f]")
# The same tokens in one pass (no Python call per token): a token start, its leading
# symbols taken possessively (never given back, so a long run of punctuation is read
# once and fails without backtracking), a letter or digit, the rest of the token.
_BUDGET_WORD = re.compile(r"(?<!\S)[^\s0-9A-Za-z\u00c0-\u024f]*+[0-9A-Za-z\u00c0-\u024f]\S*+")


def fold(text: str) -> str:
    """Straight quotes, plain dashes and spaces; same length as `text`."""
    return text.translate(_FOLD)


def lower_same_length(text: str) -> str:
    """Lower-case without changing the length (a few letters expand when lowered)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


@dataclass(slots=True)
class Doc:
    """A body prepared once for every rule: folded, lowered, segmented."""

    raw: str
    folded: str
    norm: str
    sentences: list[tuple[int, int]] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list)
    _present: frozenset[str] | None = None
    _word_texts: list[str] | None = None
    _word_spans: list[tuple[int, int]] | None = None
    _word_count: int | None = None
    _starts_any: list[int] | None = None
    # The message's facts (see _fact_extract.extract): invented_fact and not_personalized
    # both need them; extracted once per message.
    facts: list[Fact] | None = None
    # Per-message results other modules compute once (e.g. clause breaks and
    # pressure-removing phrases for negation, _patterns.py).
    memo: dict[str, Any] = field(default_factory=dict)

    def starts(self, index: CandidateIndex) -> list[int]:
        """Where any lexicon match list may match (see CandidateIndex), once per message."""
        if self._starts_any is None:
            self._starts_any = index.starts(self.norm)
        return self._starts_any

    def present(self, anchors: AnchorIndex) -> frozenset[str]:
        """The anchors that occur in the normalised text, computed once per message.

        Anchors never contain whitespace, so each lies inside one whitespace
        token; the anchors of a token are memoised (words recur across drafts
        and keystrokes), which turns hundreds of substring searches over the
        whole text into a few dictionary lookups.
        """
        if self._present is None:
            tokens = set(self.norm.split())
            self._present = frozenset().union(*(anchors.in_token(t) for t in tokens))
        return self._present

    def sentence_at(self, pos: int) -> tuple[int, int]:
        """The (start, end) of the sentence holding `pos` (the whole text if none)."""
        i = bisect_right(self._starts, pos) - 1
        if i < 0:
            return (0, len(self.raw))
        return self.sentences[i]

    def sentence_before(self, span: tuple[int, int]) -> tuple[int, int] | None:
        """The sentence before the one at `span` (None for the first)."""
        i = bisect_right(self._starts, span[0]) - 1
        return self.sentences[i - 1] if i >= 1 else None

    def word_texts(self) -> list[str]:
        """The lower-cased words (cheap: no match objects)."""
        if self._word_texts is None:
            self._word_texts = _WORD.findall(self.norm)
        return self._word_texts

    @property
    def words(self) -> list[tuple[int, int]]:
        """Spans of budget words (tokens with a letter or digit), computed when needed."""
        if self._word_spans is None:
            self._word_spans = [m.span() for m in _BUDGET_WORD.finditer(self.norm)]
        return self._word_spans

    def word_count(self) -> int:
        """Budget words: whitespace-separated tokens that contain a letter or digit."""
        if self._word_count is None:
            if self._word_spans is not None:
                self._word_count = len(self._word_spans)
            else:
                self._word_count = len(_BUDGET_WORD.findall(self.norm))
        return self._word_count


def _segment(folded: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(folded):
        end = m.end()
        _add_trimmed(folded, start, end, spans)
        start = end
    _add_trimmed(folded, start, len(folded), spans)
    return spans


def _add_trimmed(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and _HAS_WORD.search(text, start, end):
        out.append((start, end))


def prepare(body: str) -> Doc:
    folded = fold(body)
    norm = lower_same_length(folded)
    sentences = _segment(folded)
    return Doc(
        raw=body, folded=folded, norm=norm, sentences=sentences, _starts=[s for s, _ in sentences]
    )
