"""The substance of a message: the specific items a rewrite must not lose.

Links, e-mail addresses, phone numbers, prices, percentages and other
figures are what a rep's draft carries that a buyer can act on. The editor
keeps them, the guard fails a model answer that drops one the draft carried
(and that was not itself the offence), and the evals count them.

Items are compared in a normal form (a phone number by its digits, a link
without its scheme and trailing punctuation, a figure by its digits), so a
model that writes "555 0143" for "555-0143" has not lost anything.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from service.linear_scan import run_matches

ItemKind = Literal["link", "email", "phone", "money", "percent", "figure"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>\"')\]]+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|io|co|org|net|ai|app|dev|me|us|uk|de|fr|es|"
    r"nl|ca|au|in|info|biz|link|ly|so|to|tech|health|site|page|example)"
    r"(?:/[^\s<>\"')\]]*)?\b",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<![\w$£€])\+?\(?\d[\d\s().-]{5,}\d(?![\w%])")
_MONEY = re.compile(
    r"[$£€]\s?\d[\d,]*(?:\.\d+)?\s?(?:k|m|bn)?\b"
    r"|\b\d[\d,]*(?:\.\d+)?\s?(?:usd|eur|gbp|dollars|euros|pounds)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:%|percent\b|per cent\b)", re.IGNORECASE)
_FIGURE = re.compile(r"(?<![\w.,/-])\d{2,}(?:[.,:]\d+)*(?![\w%])|\b\d+(?:\.\d+)?x\b")
_TRAIL = ".,;:!?)"
# Every link match holds one of these; every phone, price, percentage or figure a digit.
# A text without them skips those patterns (the scan for them is the costly part).
_LINK_HINT = re.compile(
    r"https?://|www\.|\.(?:com|io|co|org|net|ai|app|dev|me|us|uk|de|fr|es|"
    r"nl|ca|au|in|info|biz|link|ly|so|to|tech|health|site|page|example)",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
# Where matches of the patterns above may start, for run_matches (service/linear_scan.py): a plain
# search of _EMAIL, _LINK or _MONEY is quadratic on some long runs.
_LOCAL_BEFORE_AT = re.compile(r"(?<![\w.+-])[\w.+-]++(?=@)")
_ANY = re.compile(r".", re.DOTALL)
_SCHEME = re.compile(r"(?=https?://|www\.)", re.IGNORECASE)
_HOST_CHAIN = re.compile(r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*", re.IGNORECASE)
_HOST_START = re.compile(r"\b[a-z0-9]", re.IGNORECASE)
_CURRENCY_SIGN = re.compile(r"[$\u00a3\u20ac]")
_DIGIT_RUN = re.compile(r"[\d,]+")
_DIGIT_START = re.compile(r"\b\d")


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def _starts(pattern: re.Pattern[str], text: str) -> list[int]:
    return [m.start() for m in pattern.finditer(text)]


def _emails(text: str) -> list[re.Match[str]]:
    runs = _spans(_LOCAL_BEFORE_AT, text)
    return run_matches(_EMAIL, text, fixed=(), runs=runs, first=_ANY)


def _links(text: str) -> list[re.Match[str]]:
    fixed, runs = _starts(_SCHEME, text), _spans(_HOST_CHAIN, text)
    return run_matches(_LINK, text, fixed=fixed, runs=runs, first=_HOST_START)


def _money(text: str) -> list[re.Match[str]]:
    fixed, runs = _starts(_CURRENCY_SIGN, text), _spans(_DIGIT_RUN, text)
    return run_matches(_MONEY, text, fixed=fixed, runs=runs, first=_DIGIT_START)


@dataclass(frozen=True, slots=True)
class Item:
    """One specific item of a message, with where it is."""

    kind: ItemKind
    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        return normal_form(self.kind, self.text)


def normal_form(kind: ItemKind, text: str) -> str:
    """The form two mentions of the same item share."""
    if kind == "link":
        low = text.lower().rstrip(_TRAIL)
        low = re.sub(r"^(?:https?://)?(?:www\.)?", "", low)
        return low.rstrip("/")
    if kind == "email":
        return text.lower().rstrip(_TRAIL)
    return re.sub(r"\D", "", text)


def find_items(text: str) -> list[Item]:
    """Every item in `text`, in order; an e-mail is not also a link, a price not a figure."""
    return list(_find_items(text))


@lru_cache(maxsize=512)
def _find_items(text: str) -> tuple[Item, ...]:
    """find_items, remembered per text (a rewrite looks at the same texts several times)."""
    found: list[Item] = []
    # The spans taken so far, disjoint and kept in order: an overlap check looks at the
    # two neighbours of a new span (bisect), not at every span (quadratic on a body of
    # thousands of addresses).
    starts: list[int] = []
    ends: list[int] = []

    def free(start: int, end: int) -> bool:
        i = bisect_right(starts, start)
        if i and ends[i - 1] > start:
            return False
        return i == len(starts) or starts[i] >= end

    def take(start: int, end: int) -> None:
        i = bisect_right(starts, start)
        starts.insert(i, start)
        ends.insert(i, end)

    def add(kind: ItemKind, matches: Iterable[re.Match[str]], min_digits: int = 0) -> None:
        for m in matches:
            raw = m.group(0)
            stripped = raw.rstrip(_TRAIL)
            start, end = m.start(), m.start() + len(stripped)
            if not stripped or not free(start, end):
                continue
            if min_digits and sum(c.isdigit() for c in stripped) < min_digits:
                continue
            found.append(Item(kind, stripped, start, end))
            take(start, end)

    if "@" in text:
        add("email", _emails(text))
    if _LINK_HINT.search(text):
        add("link", _links(text))
    if _DIGIT.search(text):
        add("phone", _PHONE.finditer(text), min_digits=7)
        add("money", _money(text))
        add("percent", _PERCENT.finditer(text))
        add("figure", _FIGURE.finditer(text))
    found.sort(key=lambda i: i.start)
    return tuple(found)


def missing_items(required: list[Item], text: str) -> list[Item]:
    """The required items that `text` no longer carries (compared in normal form)."""
    present = {i.key for i in find_items(text)}
    digits = re.sub(r"\D", "", text)
    missing: list[Item] = []
    for item in required:
        key = item.key
        if key in present:
            continue
        # A figure or phone number written with other separators still counts.
        if item.kind in ("phone", "money", "percent", "figure") and key and key in digits:
            continue
        missing.append(item)
    return missing
