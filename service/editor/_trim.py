"""Trimming a draft over its length budget: what costs the reader least goes first.

One sentence at a time (the editor checks the budget again after each): a
sentence that only makes conversation ("Thanks again for the time on
Thursday.", moves.toml `pleasantries`) before one that carries substance, a
sentence without an item (link, figure, contact) before one with, and the
last of them first. The sentence after an announcement ("Here is how others
handled it.") takes the announcement with it when it is the last one left.
"""

from __future__ import annotations

import re

from service.editor._cuts import _apply
from service.editor._items import find_items
from service.editor._moves import moves
from service.models import Change


def _announces(sentence: str) -> bool:
    """A sentence that announces what follows it ("Here is how others handled it.")."""
    low = sentence.strip().lower().replace("\u2019", "'")
    return (
        low.startswith(("here's", "here is", "here are"))
        or low.endswith(":")
        or low.rstrip(".").endswith(("the following", "as follows", "below"))
    )


def _ends_paragraph(body: str, end: int) -> bool:
    """Nothing but spaces up to a blank line (or the end) follows `end`."""
    rest = body[end:].lstrip(" \t")
    return not rest or rest.startswith("\n\n") or (rest.startswith("\n") and not rest.strip())


def _pleasantry(sentence: str) -> bool:
    """A sentence that only makes conversation (moves.toml `pleasantries`), with no question."""
    if "?" in sentence:
        return False
    low = sentence.strip().lower().replace("\u2019", "'")
    return any(re.match(pattern, low) for pattern in moves().pleasantries)


def trim_one(
    body: str, spans: list[tuple[int, int]], protected: set[str]
) -> tuple[str, Change] | None:
    """`body` without the content sentence that costs the reader least, and the change."""
    candidates = [s for s in spans if body[s[0] : s[1]] not in protected]
    if not candidates:
        return None
    plain = [s for s in candidates if not find_items(body[s[0] : s[1]])]
    # Conversation goes before substance; then the last plain sentence, as before.
    chat = [s for s in plain if _pleasantry(body[s[0] : s[1]])]
    start, end = (chat or plain or candidates)[-1]
    # The last sentence after an announcement takes the announcement with it ("Here is
    # how others handled this." once the how is gone says nothing).
    previous = [s for s in spans if s[1] <= start]
    if previous and _ends_paragraph(body, end):
        p_start, p_end = previous[-1]
        announcement = body[p_start:p_end]
        if (
            "\n\n" not in body[p_end:start]
            and _announces(announcement)
            and announcement not in protected
        ):
            start = p_start
    before = body[start:end]
    change = Change(rule="too_long", principle="value_and_next_step", before=before, after="")
    return _apply(body, [(start, end, "")]), change
