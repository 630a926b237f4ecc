"""The quoted thread under a reply: kept verbatim, never read as the rep's message.

A reply drafted in a mail client carries the conversation below it: an
attribution line ("On Tue, Nov 3, 2026 at 9:14 AM Ines <ines@x.pt> wrote:")
and the earlier messages quoted with ">", or Outlook's header block ("From:
... Sent: ... To: ... Subject: ...") or an "-----Original Message-----"
separator above them. That text is history: the buyer's earlier words and
the rep's earlier, already sent, messages. Tactful analyzes and rewrites only
the new message above it, and hands the thread back exactly as it came.

`split_quoted(body)` returns (new, quoted) with `new + quoted == body`. The
thread starts at the first of:

- "-----Original Message-----" / "---------- Forwarded message ---------"
  (and the same in a few other languages), or an Outlook header block: a
  "From:" line with "Sent:"/"Date:" and "To:"/"Subject:" lines right under it
  (an underscore rule just above belongs to it). Everything below is history.
- a line ending in "wrote:" (or its translation; an attribution wrapped over
  up to three lines) right above such a trailing run;
- a trailing run of ">" lines (blank lines between them allowed) reaching the
  end of the body.

Text the rep writes between quoted lines (an inline answer) is not a
trailing thread: only a thread that runs to the end is split off, so no line
of the rep's own is ever left unread. A body that would have nothing of its
own above the thread is not split. Linear in the body.
"""

from __future__ import annotations

import re

from service.models import Message

# "On <date>, <name> <address> wrote:" and translations; the line must end with it.
_ATTRIBUTION_END = re.compile(
    r"(?:wrote|writes|a \u00e9crit|schrieb|escribi\u00f3|scrisse|schreef|napisa\u0142|skrev"
    r"|kirjoitti|escreveu)\s*:\s*$",
    re.IGNORECASE,
)
_MAX_ATTRIBUTION_CHARS = 400
_SEPARATOR = re.compile(
    r"(?<!-)-{2,}+\s*+(?:original message|forwarded message|mensaje original|message d'origine"
    r"|message transf\u00e9r\u00e9|urspr\u00fcngliche nachricht|weitergeleitete nachricht"
    r"|messaggio originale|mensagem original)\s*+-{2,}+\s*+$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"(?:from|von|de|da|van)\s*:\s*\S", re.IGNORECASE)
_HEADER_SENT = re.compile(
    r"(?:sent|date|gesendet|datum|envoy\u00e9|enviado|fecha|inviato|data)\s*:\s*\S", re.IGNORECASE
)
_HEADER_TO = re.compile(
    r"(?:to|subject|an|betreff|\u00e0|objet|para|asunto|a|oggetto)\s*:", re.IGNORECASE
)
# A rule line; only a run's first character may start one (linear under search too).
_RULE = re.compile(r"(?<!_)_{8,}+\s*+$|(?<!-)-{8,}+\s*+$")
_MAX_ATTRIBUTION_LINES = 3
_HINTS = (">", ":", "--")  # every thread start above holds one of these
# An attribution wrapped over lines opens with one of these ("On Tue, Nov 3 ... <").
_ATTRIBUTION_OPENER = re.compile(r"(?:on|le|am|el|il|op|w dniu|den|em)\s", re.IGNORECASE)


def split_quoted(body: str) -> tuple[str, str]:
    """(the rep's new message, the quoted thread under it), with new + quoted == body."""
    if not any(h in body for h in _HINTS):
        return body, ""
    lines = body.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    at = _header_start(lines)
    if at is None:
        at = _quote_start(lines)
    if at is None or not _has_own_text(lines[:at]):
        return body, ""
    cut = starts[at]
    # The blank lines between the message and the thread go with the thread.
    new = body[:cut]
    kept = new.rstrip()
    return kept, body[len(kept) :]


def _has_own_text(lines: list[str]) -> bool:
    return any(any(ch.isalnum() for ch in line) for line in lines)


def _header_start(lines: list[str]) -> int | None:
    """The first separator or Outlook header block; everything from it is history."""
    for i, line in enumerate(lines):
        text = line.strip()
        if not text:
            continue
        if _SEPARATOR.match(text):
            return i
        if _HEADER_FROM.match(text) and _header_block(lines, i):
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            return j if j >= 0 and _RULE.match(lines[j].strip()) else i
    return None


def _header_block(lines: list[str], i: int) -> bool:
    """A "From:" line at i with a date line and a To/Subject line in the next few lines."""
    following = [line.strip() for line in lines[i + 1 : i + 5] if line.strip()]
    return any(_HEADER_SENT.match(t) for t in following) and any(
        _HEADER_TO.match(t) for t in following
    )


def _quote_start(lines: list[str]) -> int | None:
    """The start of the trailing ">" thread: its quoted runs (blank lines between them
    allowed), each with the attribution line above it when it has one.
    """
    start: int | None = None
    i = len(lines)
    while True:
        first_quote: int | None = None
        while i > 0 and (not lines[i - 1].strip() or lines[i - 1].lstrip().startswith(">")):
            if lines[i - 1].strip():
                first_quote = i - 1
            i -= 1
        if first_quote is None:
            return start
        start = first_quote
        attribution = _attribution_above(lines, i)
        if attribution is None:
            return start
        start = i = attribution


def _attribution_above(lines: list[str], end: int) -> int | None:
    """The first line of an attribution ending at line `end` ("... wrote:"), if any."""
    found: int | None = None
    for count in range(1, _MAX_ATTRIBUTION_LINES + 1):
        top = end - count
        if top < 0 or not lines[top].strip():
            break
        joined = " ".join(line.strip() for line in lines[top:end])
        if len(joined) > _MAX_ATTRIBUTION_CHARS:
            break
        if found is None and _ATTRIBUTION_END.search(joined):
            found = top  # "... wrote:" alone; a wrapped one opens a line or two higher
        elif found is not None and _ATTRIBUTION_OPENER.match(joined):
            found = top
    return found


def own_part(message: Message, original: Message | None = None) -> Message:
    """`message` without the quoted thread under it, when that thread may go unread.

    It may when there is no original (a draft is read as the rep wrote it: the
    thread is theirs, not new text), or when it is exactly the original's thread
    (a rewrite hands the draft's thread back verbatim). A thread of any other text
    is read like the rest: a model cannot slip text past the guard by quoting it.
    """
    new, quoted = split_quoted(message.body)
    if not quoted:
        return message
    if original is not None and split_quoted(original.body)[1] != quoted:
        return message
    return message.model_copy(update={"body": new})
