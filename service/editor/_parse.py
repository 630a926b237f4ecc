"""A draft's frame (greeting, sign-off) and its sentences and clauses, as spans.

The editor never rewrites the frame: the greeting form the rep chose ("Hi
Dr. Patel,", "Hi Carol and Dave,") and the sign-off stay as written. Only
the sentences between them are cut or replaced, at the smallest unit that
removes the offence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TITLE = r"(?:dr|mr|mrs|ms|mx|prof|fr|rev|sr|jr)\."
_GREETING = re.compile(
    r"\s*(?:hi|hey|heya|hiya|hello|hallo|dear|good\s+(?:morning|afternoon|evening|day)|greetings"
    r"|morning|afternoon|evening|yo)\b"
    rf"(?:{_TITLE}|[^\n,.!?:;\u2014\u2013]){{0,60}}?"
    r"(?:,|!+|:|;|\s[\u2014\u2013-]\s?|(?<!\bdr)(?<!\bmr)(?<!\bmrs)(?<!\bms)(?<!\bmx)(?<!\bprof)\.(?=\s)"
    r"|(?=\n)|$)",
    re.IGNORECASE,
)
_NAME_GREETING = (
    r"\s*(?:{names})(?:\s+(?:and|&)\s+[A-Z][\w'\u2019-]*)?\s*(?:,|!+|:|\s?[\u2014\u2013]|\s-\s)"
)
_CLOSING = re.compile(
    r"(?:(?:with|and|all) )?(?:best|best wishes|best regards|kind regards|warm regards|warmly"
    r"|regards|thanks|thank you"
    r"|many thanks|thanks again|thanks so much|cheers|all the best|talk soon|speak soon|talk later"
    r"|speak later|chat soon|bye|sincerely|take care|have a good one"
    r"|(?:alright|ok|okay),? talk (?:soon|later)"
    r"|with thanks|yours|yours sincerely|have a (?:good|great) (?:day|week|weekend)"
    r"|let me know|looking forward(?: to (?:hearing from you|your reply|it))?"
    r"|hope to hear from you|(?:talk|speak) to you soon)\b"
    r"[ !,.\w]{0,24}$",
    re.IGNORECASE,
)
_INLINE_SIGNOFF = re.compile(
    r"(?:(?<=\s)|^)(?:[\u2014\u2013-]\s?"
    r"|(?:thanks|thank you|cheers|best|regards|talk soon|speak soon)"
    r"[,!.]?\s*[\u2014\u2013-]?\s*)[A-Z][\w'\u2019-]*(?:\s[A-Z][\w'\u2019-]*)?\.?\s*$"
)
_NAME_LINE = re.compile(r"[\u2014\u2013-]?\s?[A-Z][\w'\u2019.-]*(?:\s[A-Z][\w'\u2019.-]*){0,2}")
# A company suffix or a common abbreviation before a period and a lower-case word, or a
# title before a name, is no sentence end ("Routewise Inc. is the ...", "Dr. Patel").
_ABBREVIATIONS = (
    "Inc", "Ltd", "Co", "Corp", "Bros", "Plc", "Pty", "GmbH", "vs", "etc", "approx", "e.g", "i.e",
)  # fmt: skip
_TITLES = ("Mr", "Mrs", "Ms", "Mx", "Dr", "Prof", "St", "Jr", "Sr")


def _after(words: tuple[str, ...]) -> str:
    return "(?:" + "|".join(rf"(?<=\b{re.escape(w)})" for w in words) + ")"


_NOT_AN_END = rf"(?!{_after(_ABBREVIATIONS)}\.\s+[a-z0-9])(?!{_after(_TITLES)}\.\s+[A-Za-z])"
# Only the first mark of a run may start a match: trying every mark of a long
# run of "!" would rescan the run from each one (quadratic).
# The mark is looked for first: the look-arounds run only where a sentence may end.
_SENTENCE_END = re.compile(
    r"(?=[.!?\u2026])(?<![.!?\u2026])"
    + _NOT_AN_END
    + r"[.!?\u2026]+[\"'\u2019\u201d)\]*_]*(?=\s|$)|\n"
)
_HAS_WORD = re.compile(r"\w")


@dataclass(frozen=True, slots=True)
class Frame:
    """Where the editable content of a body starts and ends."""

    greeting_end: int  # 0 when there is no greeting
    signoff_start: int  # len(body) when there is no sign-off
    # Where added text goes: the sign-off, or a closing line with the rep's name under it
    # that a signature block and a footer follow ("Best regards,\nKevin Park\nAccount
    # Executive\n...\nCONFIDENTIALITY NOTICE: ..."), which are no sign-off the editor
    # may skip but must not write after.
    closing_start: int = -1

    @property
    def additions_at(self) -> int:
        return self.closing_start if self.closing_start >= 0 else self.signoff_start


# A greeting or sign-off names someone with a few words; a context field may hold up
# to 2,000 characters, so only the first distinct parts are tried (each is an
# alternative of a regex compiled per distinct set of names).
MAX_NAME_PARTS = 12


def _first_names(names: list[str]) -> list[str]:
    """The distinct name parts worth matching (escaped), in order, at most MAX_NAME_PARTS.

    A repeated part changes no match (the same alternative would be tried again),
    so dropping repeats is exact.
    """
    out: dict[str, None] = {}
    for name in names:
        for part in name.replace(".", " ").split():
            if len(part) > 1 and part[0].isalpha():
                out.setdefault(re.escape(part), None)
                if len(out) >= MAX_NAME_PARTS:
                    return list(out)
    return list(out)


# A mail client's line under the message ("Sent from my iPhone"): part of the sign-off.
_MOBILE_FOOTER = re.compile(
    r"(?<=\n)[ \t]*+(?:sent from my [\w .-]{1,30}|sent from (?:outlook|mail|yahoo mail|gmail)"
    r"(?: for [\w .-]{1,20})?|get outlook for [\w .-]{1,20}|sent from (?:a )?mobile(?: device)?"
    r"|sent on the go)[ \t]*+\s*$",
    re.IGNORECASE,
)


def find_frame(body: str, names: list[str], signers: list[str] | None = None) -> Frame:
    """The greeting (the rep's own form of address) and the sign-off block."""
    footer = _MOBILE_FOOTER.search(body, max(0, len(body) - 120))
    if footer is not None and footer.start() > 0:
        inner = find_frame(body[: footer.start()].rstrip(), names, signers)
        above = inner.additions_at if inner.additions_at < footer.start() else footer.start()
        return Frame(inner.greeting_end, min(inner.signoff_start, footer.start()), above)
    greeting_end = 0
    m = _GREETING.match(body)
    if m is None and (known := _first_names(names)):
        pattern = _NAME_GREETING.format(names="|".join(known))
        m = re.match(pattern, body, re.IGNORECASE)
    if m is not None and m.end() < len(body) and len(m.group(0).strip()) <= 70:
        greeting_end = m.end()
    start = _signoff_start(body, greeting_end)
    if start == len(body) and (known := _first_names(signers or [])):
        # "... any thoughts? Noor": the sender's own name closing a one-line message.
        # A match ends in trailing whitespace after at most 2 + len(name) + 30 other
        # characters, so it starts inside that window: searching only there finds the
        # same match without trying every word of a long body.
        window = max(0, len(body.rstrip()) - (2 + max(len(k) for k in known) + 30) - 1)
        tail = re.compile(
            rf"(?<=[\s.!?])[\u2014\u2013-]?\s?(?:{'|'.join(known)})\b[\w .'-]{{0,30}}\s*$"
        ).search(body, window)
        if tail is not None and tail.start() > greeting_end:
            start = tail.start()
    closing = _closing_above_signature(body, greeting_end) if start == len(body) else start
    return Frame(greeting_end, start, closing)


# How far up from the end a closing line over a signature block is looked for.
_SIGNATURE_LINES = 30
_POSTSCRIPT = re.compile(r"(?<!\s)\s*+p\.?\s?s\b", re.IGNORECASE)


def _closing_above_signature(body: str, floor: int) -> int:
    """The start of the last closing line ("Best regards,") with a name line right under
    it, followed by more lines (a signature block, a footer); -1 when there is none, or
    when a postscript follows it (a P.S. is the rep's message, and goes on being read).
    """
    lines = body.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    first = max(0, len(lines) - _SIGNATURE_LINES)
    for i in range(len(lines) - 2, first - 1, -1):
        if starts[i] <= floor:
            break
        if _POSTSCRIPT.match(lines[i]):
            return -1
        if not _CLOSING.fullmatch(lines[i].strip()):
            continue
        below = next((line.strip() for line in lines[i + 1 :] if line.strip()), "")
        if below and len(below) <= 40 and _NAME_LINE.fullmatch(below):
            return starts[i]
    return -1


def _signoff_start(body: str, floor: int) -> int:
    stripped_end = len(body.rstrip())
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in body[:stripped_end].split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1

    def text(i: int) -> str:
        return body[spans[i][0] : spans[i][1]].strip()

    count = len(spans)
    # A closing line ("Best,", "Thanks!") followed by at most three short name lines.
    for back in range(1, min(4, count) + 1):
        i = count - back
        names_ok = all(
            len(text(j)) <= 40 and not text(j).endswith("?") for j in range(i + 1, count)
        )
        if names_ok and _CLOSING.fullmatch(text(i)) and spans[i][0] > floor:
            return spans[i][0]
    start_last = spans[-1][0]
    # A name alone on the last line ("Sam", "- Sam", "Sam Ortiz").
    if count > 1 and start_last > floor and _NAME_LINE.fullmatch(text(count - 1)):
        return start_last
    # "... Alright, talk later." closing a one-line message (a voicemail's goodbye).
    last_sentence = re.search(
        r"(?<=[.!?])\s+([^.!?\n]{1,30}[.!?]?)\s*$", body[start_last:stripped_end]
    )
    if last_sentence is not None and _CLOSING.fullmatch(last_sentence.group(1).strip()):
        at = start_last + last_sentence.start(1)
        if at > floor:
            return at
    # "... Thanks, Sam" at the end of a one-line message.
    inline = _INLINE_SIGNOFF.search(body, start_last, stripped_end)
    if inline is not None and inline.start() > max(floor, start_last):
        return inline.start()
    return len(body)


def sentences(body: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans between `start` and `end` (a line break also ends one)."""
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _SENTENCE_END.finditer(body, start, end):
        _add(body, pos, m.end(), spans)
        pos = m.end()
    _add(body, pos, end, spans)
    return spans


def _add(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and _HAS_WORD.search(text, start, end):
        out.append((start, end))


# Clause separators, finest first: a conjunction, a comma, a dash or semicolon.
_LEVELS: tuple[re.Pattern[str], ...] = (
    re.compile(r",?\s+(?=(?:and|but|or|plus)\s)", re.IGNORECASE),
    re.compile(r",\s+"),
    re.compile(r"\s+[\u2014\u2013-]+\s+|\s*[\u2014\u2013]\s*|;\s+|:\s+|\s+\(|\)\s+"),
)


@dataclass(frozen=True, slots=True)
class Piece:
    start: int
    end: int
    sep: str  # the separator text before this piece ("" for the first)


def pieces(body: str, start: int, end: int, level: int) -> list[Piece]:
    """The sentence `body[start:end]` split at one level of clause separators."""
    out: list[Piece] = []
    pos, sep = start, ""
    for m in _LEVELS[level].finditer(body, start, end):
        if m.start() <= pos:
            continue
        out.append(Piece(pos, m.start(), sep))
        pos, sep = m.end(), m.group(0)
    out.append(Piece(pos, end, sep))
    return [p for p in out if p.end > p.start]


LEVELS = len(_LEVELS)
