"""Parse the model's tagged answer, whole or while it streams.

The answer format (see prompts/system.toml) is tagged text rather than JSON:
small models follow it more reliably, and the body can be streamed to the
user as it is generated. Parsing is tolerant of the usual small-model slips
(chatter before the tags, code fences, a missing closing tag on a finished
body) but never returns chatter as the body: without a `<body>` tag there is
no answer.

The streaming extractor and `parse_answer` share one function
(`_body_view`), so the streamed deltas always add up to the parsed body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import get_args

from service.models import RULE_IDS, Change, Channel, PrincipleId

_PRINCIPLES = frozenset(get_args(PrincipleId))
_RULES = frozenset(RULE_IDS)

_BODY_OPEN = re.compile(r"<\s*body\s*>", re.IGNORECASE)
# Anything that ends the body: its closing tag, or the start of another block.
_BODY_END = re.compile(
    r"<\s*/\s*body\s*>|<\s*changes\s*>|<\s*/?\s*subject\s*>|<\s*/\s*answer\s*>", re.IGNORECASE
)
# A tail that may still grow into one of the tags above: withheld while streaming.
_PARTIAL_TAG = re.compile(r"<\s*/?\s*[a-z]*\s*\Z", re.IGNORECASE)
_FENCE_LINE = re.compile(r"^\s*(```|~~~)[\w+-]*\s*$")
# Small models sometimes explain themselves after the body without closing it:
# a line starting with one of these words (and a colon) ends the body.
_LINE_END_WORDS = (
    "changes:",
    "explanation:",
    "note:",
    "notes:",
    "rationale:",
    "reasoning:",
    "what changed:",
    "what i changed:",
)
_LINE_END = re.compile(
    r"^[ \t]*(?:" + "|".join(re.escape(w) for w in _LINE_END_WORDS) + ")", re.I | re.M
)
# ... and sometimes put the subject inside the body as its first line.
_SUBJECT_WORD = "subject:"
_SUBJECT_LINE = re.compile(r"^[ \t]*subject:", re.I)
_SUBJECT_IN_BODY = re.compile(r"<\s*body\s*>\s*(?:(?:```|~~~)[\w+-]*\s*)?subject:([^\n]*)", re.I)
_SUBJECT = re.compile(r"<\s*subject\s*>(.*?)<\s*/\s*subject\s*>", re.I | re.S)
_SUBJECT_OPEN = re.compile(r"<\s*subject\s*>([^\n<]*)", re.I)
_CHANGES = re.compile(r"<\s*changes\s*>(.*?)(?:<\s*/\s*changes\s*>|\Z)", re.I | re.S)
# From where a run of whitespace begins: a changes line of a broken answer with a long
# run of spaces and no arrow was re-read from each space (1.6 s on 20,000).
_ARROW = re.compile(r"(?<!\s)\s*+(?:=>|->|→)\s*")
# A body without its closing tag is accepted only when it visibly ended.
_ENDS_SENTENCE = re.compile("[.!?\u2026)\"'\u201d\u2019]\\s*\\Z")
_SIGN_OFF_MAX_WORDS = 4


class MalformedAnswer(ValueError):
    """The model's answer has no usable body."""


@dataclass(frozen=True, slots=True)
class ParsedAnswer:
    subject: str | None
    body: str
    changes: list[Change] = field(default_factory=list)


def _clean_lines(raw: str, *, final: bool) -> str:
    """Drop code-fence lines and a leading "Subject:" line.

    While streaming (`final=False`), a last line that may still turn into one
    of those is held back.
    """
    lines = raw.split("\n")
    if not final and lines[-1].lstrip().startswith(("`", "~")):
        lines[-1] = ""
    kept = [line for line in lines if not _FENCE_LINE.match(line)]
    first = next((i for i, line in enumerate(kept) if line.strip()), None)
    if first is not None:
        complete = final or first < len(kept) - 1
        if complete and _SUBJECT_LINE.match(kept[first]):
            del kept[first]
        elif not complete and (
            _SUBJECT_LINE.match(kept[first])
            or _SUBJECT_WORD.startswith(kept[first].lstrip(" \t").lower())
        ):
            kept[first] = ""
    return "\n".join(kept)


@dataclass(frozen=True, slots=True)
class _BodyView:
    text: str  # the body so far (stable prefix while streaming)
    closed: bool  # an end marker was seen


def _first_end(rest: str) -> int | None:
    ends = [m.start() for m in (_BODY_END.search(rest), _LINE_END.search(rest)) if m]
    return min(ends) if ends else None


def _body_view(buffer: str, *, final: bool) -> _BodyView | None:
    """The body visible in `buffer`; None when no `<body>` tag has appeared yet."""
    opened = _BODY_OPEN.search(buffer)
    if opened is None:
        return None
    rest = buffer[opened.end() :].replace("\r\n", "\n").replace("\r", "\n")
    end = _first_end(rest)
    if end is not None:
        return _BodyView(_clean_lines(rest[:end], final=True).strip(), closed=True)
    if not final:
        lt = rest.rfind("<")
        if lt != -1 and _PARTIAL_TAG.match(rest, lt):
            rest = rest[:lt]
        line_start = rest.rfind("\n") + 1
        last = rest[line_start:].lstrip(" \t").lower()
        if last and any(word.startswith(last) for word in _LINE_END_WORDS):
            rest = rest[:line_start]
    return _BodyView(_clean_lines(rest, final=final).strip(), closed=False)


def _looks_finished(body: str) -> bool:
    last = body.rstrip().rsplit("\n", 1)[-1].strip()
    return bool(_ENDS_SENTENCE.search(body)) or 0 < len(last.split()) <= _SIGN_OFF_MAX_WORDS


def _parse_change(line: str) -> Change | None:
    line = line.strip().lstrip("-*• ").strip()
    if not line or "|" not in line:
        return None
    parts = [p.strip() for p in line.split("|", 2)]
    if len(parts) < 3:
        return None
    rule, principle, edit = parts
    pieces = _ARROW.split(edit, maxsplit=1)
    if len(pieces) != 2:
        return None
    before, after = (p.strip().strip("\"'“”") for p in pieces)
    if not before and not after:
        return None
    return Change(
        rule=rule if rule in _RULES else None,
        principle=principle if principle in _PRINCIPLES else None,
        before=before,
        after=after,
    )


def parse_answer(text: str, channel: Channel) -> ParsedAnswer:
    """Subject, body and changes from the model's answer; MalformedAnswer if no usable body."""
    view = _body_view(text, final=True)
    if view is None:
        raise MalformedAnswer("no <body> block")
    if not view.text:
        raise MalformedAnswer("the <body> block is empty")
    if not view.closed and not _looks_finished(view.text):
        raise MalformedAnswer("the <body> block is not closed and looks cut off")
    subject: str | None = None
    if channel == "email" and (
        match := _SUBJECT.search(text)
        or _SUBJECT_OPEN.search(text)
        or _SUBJECT_IN_BODY.search(text)
    ):
        subject = " ".join(match.group(1).split()) or None
    changes: list[Change] = []
    if match := _CHANGES.search(text):
        changes = [c for line in match.group(1).splitlines() if (c := _parse_change(line))]
    return ParsedAnswer(subject=subject, body=view.text, changes=changes)


class BodyStreamExtractor:
    """Turns streamed answer deltas into deltas of the body alone.

    `feed` returns only text that can no longer change (a partial closing tag,
    a possible code fence or trailing whitespace is held back); `finish`
    returns the rest. Together they add up to `parse_answer(...).body`
    whenever the full answer parses.
    """

    def __init__(self) -> None:
        self._buffer = ""
        self._sent = 0
        self._closed = False

    def _advance(self, *, final: bool) -> str:
        view = _body_view(self._buffer, final=final)
        if view is None:
            return ""
        self._closed = view.closed
        if len(view.text) <= self._sent:
            return ""
        delta = view.text[self._sent :]
        self._sent = len(view.text)
        return delta

    def feed(self, delta: str) -> str:
        """Add one streamed delta; return the body text that became available."""
        if self._closed:
            return ""
        self._buffer += delta
        return self._advance(final=False)

    def finish(self) -> str:
        """The stream ended: return whatever body text was still held back."""
        if self._closed:
            return ""
        return self._advance(final=True)
