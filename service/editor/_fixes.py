"""Word fixes: a buzzword's plain swap, a filled slot, a rush word dropped.

A fix mends the offending words and keeps the sentence; `mend` makes the fixes a
sentence's cut leaves standing (the cut of its other offences, _cuts.py).
"""

from __future__ import annotations

import re

from service.editor._moves import moves
from service.models import Context, Finding

_PLACEHOLDER_NAME = re.compile(r"name", re.IGNORECASE)
_PLACEHOLDER_COMPANY = re.compile(r"company|business|organi[sz]ation|firm", re.IGNORECASE)

# A slot for the sender's own details: "[Your Name]", "{{sender_name}}", "{{my.first_name}}",
# "{{owner.firstname}}"; words are told apart by any non-letter ("_", ".", "{"), since
# merge tags join them with underscores and dots.
_SENDER_SLOT = re.compile(r"(?<![a-z])(?:your|my|sender|rep|owner|agent|signature|me)(?![a-z])")


def _name_part(name: str, slot: str) -> str:
    """The part of a sender's name a slot asks for: first, last, or the whole name."""
    parts = name.split()
    if "first" in slot:
        return parts[0]
    return parts[-1] if "last" in slot else name


def _fill_placeholder(excerpt: str, context: Context | None) -> str | None:
    """The context's value for a template slot ("{{first_name}}", "[Your Name]"), if known."""
    low = excerpt.lower()
    prospect = context.prospect if context else None
    sender = context.sender if context else None
    if _SENDER_SLOT.search(low):
        if sender is not None and sender.name and _PLACEHOLDER_NAME.search(low):
            return _name_part(sender.name, low)
        if sender is not None and sender.company and _PLACEHOLDER_COMPANY.search(low):
            return sender.company
        return None
    if prospect is not None and prospect.name and _PLACEHOLDER_NAME.search(low):
        parts = prospect.name.split()
        return parts[-1] if "last" in low else parts[0]
    if prospect is not None and prospect.company and _PLACEHOLDER_COMPANY.search(low):
        return prospect.company
    return None


def mend(
    cut: tuple[int, int, str], fixes: list[tuple[Finding, str]]
) -> tuple[tuple[int, int, str], list[tuple[Finding, str]]] | None:
    """`cut` with the word fixes inside what it keeps made, and the fixes outside it.

    "Call me back ASAP at 503-555-0199, the quote expires Friday." loses the quote's
    clause and "ASAP", not the callback number. None when the cut takes a fix's words.
    """
    start, end, text = cut
    outside: list[tuple[Finding, str]] = []
    for finding, fix in fixes:
        if finding.end <= start or finding.start >= end:
            outside.append((finding, fix))
        elif finding.excerpt in text:
            text = text.replace(finding.excerpt, fix, 1)  # the cut's own change shows it
        else:
            return None
    return (start, end, text), outside


def _local_fix(finding: Finding, context: Context | None) -> str | None:
    if finding.rule == "placeholder":
        return _fill_placeholder(finding.excerpt, context)
    return _swap(finding)


def _swap(finding: Finding) -> str | None:
    """A plain-words swap for a buzzword (data in moves.toml), if there is one.

    A rush word on a plain request ("call me back ASAP") is dropped: the request stays.
    """
    if finding.rule == "false_urgency" and _RUSHED_REQUEST.fullmatch(finding.excerpt):
        return _RUSH_WORD.sub("", finding.excerpt)
    if finding.rule != "jargon":
        return None
    return moves().swaps.get(finding.excerpt.lower().replace(" ", "-"))


_RUSH_WORD = re.compile(
    r"(?<![ \t])[ \t]++(?:asap|a\.s\.a\.p\.?|urgently|immediately|right away)$", re.IGNORECASE
)
_RUSHED_REQUEST = re.compile(
    r"(?:call|ring|get back to|text|reply to|respond to|email) me(?: back)?[ \t]++"
    r"(?:asap|a\.s\.a\.p\.?|urgently|immediately|right away)",
    re.IGNORECASE,
)
