"""What cuts leave behind, cleaned: spaces, empty lines, bare markers and symbols."""

from __future__ import annotations

import re


def without_remnants(body: str, before: str) -> str:
    """Lines a cut left with nothing to say: a bare "P.S.", or no word at all.

    "...world-class!!! \U0001f680" with its sentence cut leaves "\U0001f680": a line
    of only symbols or emoji that the draft did not have as a line of its own is what
    was left of a cut sentence; a divider or emoji line the rep wrote stays.
    """
    if _EMPTY_POSTSCRIPT.search(body) and not _EMPTY_POSTSCRIPT.search(before):
        body = _EMPTY_POSTSCRIPT.sub("", body)  # "P.S." with all it said cut
    lines = body.split("\n")
    remnant = [bool(ln.strip()) and not _WORDY.search(ln) for ln in lines]
    if not any(remnant):
        return body
    own = {ln.strip() for ln in before.split("\n")}
    return "\n".join(
        ln for ln, gone in zip(lines, remnant, strict=True) if not gone or ln.strip() in own
    )


_WORDY = re.compile(r"\w")


# A postscript marker with nothing left after it in its paragraph.
_EMPTY_POSTSCRIPT = re.compile(
    r"^[ \t]*+p\.?[ \t]?(?:p\.?[ \t]?)?s\b\.?:?[ \t]*+(?:\n(?=[ \t]*+\n)|\n?\Z)",
    re.IGNORECASE | re.MULTILINE,
)


# Spaces before punctuation or a line break, tried only where a run of spaces begins:
# searched plainly, a long run not followed by one is re-read from each of its spaces
# (1.7 s for one rewrite of a draft with 19,000 spaces in it). Every match of the plain
# pattern starts where a run begins, so the substitutions are the same.
_SPACE_BEFORE_MARK = re.compile(r"(?<![ \t])[ \t]++([,.!?;:])")
_SPACE_BEFORE_BREAK = re.compile(r"(?<![ \t])[ \t]++\n")


def tidy(body: str) -> str:
    """Whitespace and punctuation left clean after cuts."""
    body = _SPACE_BEFORE_MARK.sub(r"\1", body)
    body = re.sub(r"[ \t]{2,}", " ", body)
    body = _SPACE_BEFORE_BREAK.sub("\n", body)
    body = re.sub(r"\n[ \t]+(?=\S)", "\n", body)
    body = _BLANK_RUN.sub(_one_blank_line, body)
    body = re.sub(r"^[\s,;:.!?\u2014\u2013-]+\n", "", body)
    return body.strip()


# Three or more line breaks in a row, of either ending (a CRLF body keeps its CRLFs).
_BLANK_RUN = re.compile(r"(?:\r?\n){3,}")


def _one_blank_line(run: re.Match[str]) -> str:
    return "\r\n\r\n" if "\r" in run.group() else "\n\n"
