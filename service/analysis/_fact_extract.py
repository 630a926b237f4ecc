"""Fact extraction: the numbers, dates, links and names in a text, as canonical keys.

invented_fact and not_personalized both use it. The message and the
supporting text go through the same extractor, which turns each fact into
canonical keys (_fact_keys.py): "six weeks" and "6 weeks" both give `n:6`,
"$1,200" and "1200 dollars" both give `n:1200`, "3pm" gives `t:15:00`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from service.analysis._bounds import Spans, contacts, fact_cut
from service.analysis._fact_keys import (
    CALENDAR,
    CODE,
    CODE_HINT,
    DIGIT_FACTS,
    HAS_DIGIT,
    IGNORED,
    MONTH_ABBR,
    MONTH_CUE,
    MONTH_CUE_MARCH,
    MONTHS,
    NAME,
    WEEKDAY_ABBR,
    WEEKDAY_SET,
    WEEKDAYS,
    Fact,
    Vocab,
    keys_for,
    lead,
    num_key,
    vocab,
    word_number,
)
from service.analysis._fact_names import name_facts, strip_possessive
from service.analysis._matcher import lexicons
from service.analysis._patterns import match_hits
from service.analysis._text import Doc, fold, lower_same_length


def _trim_url(norm: str, start: int, end: int) -> int:
    while end > start and norm[end - 1] in ".,;:!?'\"":
        end -= 1
    return end


_WORDS = re.compile(r"[a-z0-9]+")
# Named groups of Vocab.fact_re, in the order they are tried.
_WORD_FACT_KINDS = ("quarter", "time", "ratio", "nw", "big")


_PHONE_GAP = re.compile(r"[ .-]")
# Words that announce a phone number written in short groups ("call 555 0193").
_PHONE_CUE = re.compile(
    r"\b(?:call|calling|phone|mobile|cell|tel|line|ring|text|dial|number|whatsapp|fax|callback)\b"
    r"[^.!?\n\d]{0,12}$"
)
_Item = tuple[str, int, int, re.Match[str] | None]


def _join_phones(norm: str, items: list[_Item], lenient: bool) -> list[_Item]:
    """Digit groups that together make a phone number become one `phone` fact.

    The phone pattern needs three groups of 2-4 digits; "07700 900 552" or
    "call 555 0193" are phones too. Groups joined by one space, dot or dash
    with at least seven digits in all are a phone when the first starts with 0
    or "+", or a cue word ("call", "mobile", "number") comes just before. In
    supporting text (`lenient`) any such run also counts as a phone, so the
    context's "555-0143" still vouches for the message's "call 555-0143".
    """
    out: list[_Item] = []
    # The run of joinable groups that holds item i ends at run_end, whichever group
    # of it the phone starts at: found once per run, so the pass stays linear.
    digits_before = [0]
    for _, start, end, _m in items:
        digits_before.append(digits_before[-1] + sum(map(str.isdigit, norm[start:end])))
    run_end = -1
    i = 0
    while i < len(items):
        kind, start = items[i][0], items[i][1]
        if run_end < i:
            run_end = i
            while (
                run_end + 1 < len(items)
                and items[run_end][0] in {"number", "phone"}
                and items[run_end + 1][0] in {"number", "phone"}
                and items[run_end + 1][1] - items[run_end][2] == 1
                and _PHONE_GAP.fullmatch(norm, items[run_end][2], items[run_end + 1][1])
            ):
                run_end += 1
        j = run_end
        if j > i and kind in {"number", "phone"}:
            # The gaps are one space, dot or dash: the digits are the groups' own.
            digits = digits_before[j + 1] - digits_before[i]
            cued = norm[start] in "0+" or _PHONE_CUE.search(norm, max(0, start - 30), start)
            if digits >= 7 and (cued or lenient):
                if lenient:
                    out.extend(items[i : j + 1])
                out.append(("phone", start, items[j][2], None))
                i = j + 1
                continue
        out.append(items[i])
        i += 1
    return out


def _scan(
    norm: str, v: Vocab, *, lenient: bool = False, found_contacts: tuple[Spans, Spans] | None = None
) -> list[_Item]:
    """(kind, start, end, match) for every structured fact, leftmost first, no overlaps.

    `found_contacts`: `contacts(norm)` (_bounds.py), when the caller has them.
    """
    emails, urls = contacts(norm) if found_contacts is None else found_contacts
    found: list[_Item] = [("email", start, end, None) for start, end in emails]
    found.extend(("url", start, _trim_url(norm, start, end), None) for start, end in urls)
    has_digit = HAS_DIGIT.search(norm) is not None
    if has_digit and CODE_HINT.search(norm):
        found.extend(("code", m.start(), m.end(), None) for m in CODE.finditer(norm))
    for m in DIGIT_FACTS.finditer(norm) if has_digit else ():
        end = m.end()
        if m.lastgroup == "number" and (unit := v.unit_after.match(norm, end)):
            end = unit.end()  # underline "8 weeks", not just "8"
        found.append((m.lastgroup or "number", m.start(), end, m))
    if not v.word_triggers.isdisjoint(_WORDS.findall(norm)):
        for m in v.fact_re.finditer(" " + norm):
            kind = next(k for k in _WORD_FACT_KINDS if m.group(k) is not None)
            found.append(("nword" if kind == "nw" else kind, m.start(), m.end() - 1, m))
    found.sort(key=lambda f: (f[1], -f[2]))
    out: list[_Item] = []
    last_end = -1
    for item in found:
        if item[1] >= last_end:
            out.append(item)
            last_end = item[2]
    return _join_phones(norm, out, lenient) if has_digit else out


def _extract_structured(
    norm: str, v: Vocab, found_contacts: tuple[Spans, Spans] | None
) -> tuple[list[Fact], bytearray]:
    facts: list[Fact] = []
    mask = bytearray(len(norm))
    known: dict[tuple[str, str], tuple[str, ...]] = {}
    for kind, start, end, m in _scan(norm, v, found_contacts=found_contacts):
        text = norm[start:end]
        if (
            IGNORED.fullmatch(text)
            or (start and norm[start - 1] == "<")  # "<3" is a heart, not a number
            or norm.startswith(("-pager", "-page ", "-on-1"), end)  # a "1-pager"
        ):
            continue
        keys = _keys_once(known, kind, text, m, v)
        if keys:
            facts.append(Fact(kind, start, end, keys))
            mask[start:end] = b"\x01" * (end - start)
    # Every weekday ends in "day"; a month is named in full.
    calendar = "day" in norm or any(month in norm for month in MONTHS)
    for m in CALENDAR.finditer(norm) if calendar else ():
        word = m.group(0)
        if mask[m.start()]:
            continue
        if word == "may" and not _is_month_may(norm, m.end()):
            continue
        if word == "march" and not _is_month_march(norm, m.start(), m.end()):
            continue
        if norm.endswith("happy ", 0, m.start()):
            continue  # "Happy Friday!" is a greeting, not a date
        if word.endswith("s") and word[:-1] in WEEKDAY_SET:
            word = word[:-1]  # "on Thursdays" is about Thursday
        kind = "weekday" if word in WEEKDAYS else "month"
        facts.append(Fact(kind, m.start(), m.end(), (f"w:{word}",)))
        mask[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    return facts, mask


def _keys_once(
    known: dict[tuple[str, str], tuple[str, ...]],
    kind: str,
    text: str,
    m: re.Match[str] | None,
    v: Vocab,
) -> tuple[str, ...]:
    """keys_for, computed once per kind and text of one scan (figures recur).

    Only a spelled-out number ("nword") reads its match beyond the text.
    """
    if kind == "nword":
        return keys_for(kind, text, m, v)
    keys = known.get((kind, text))
    if keys is None:
        keys = known[kind, text] = keys_for(kind, text, m, v)
    return keys


def _is_month_may(norm: str, end: int) -> bool:
    """'May' is a month when a day number or a year follows, or 'in/by/early May'."""
    after = norm[end : end + 6]
    before = norm[max(0, end - 12) : end - 3]
    return bool(re.match(r"\s+\d", after) or MONTH_CUE.search(before))


def _is_month_march(norm: str, start: int, end: int) -> bool:
    after = norm[end : end + 6]
    before = norm[max(0, start - 12) : start]
    return bool(re.match(r"\s+\d", after) or MONTH_CUE_MARCH.search(before))


def extract(doc: Doc) -> list[Fact]:
    """Facts in a message, with spans into its body (computed once per Doc)."""
    if doc.facts is None:
        doc.facts = _extract(doc)
    return doc.facts


def unchecked_from(doc: Doc) -> int | None:
    """Where the message's fact checks stopped (see _bounds.MESSAGE_FACTS), or None."""
    extract(doc)
    at: int | None = doc.memo.get("fact_cut")
    return at


def _extract(doc: Doc) -> list[Fact]:
    v = vocab()
    # The budget counts the addresses and links of the lower-cased text; the fact
    # scan below needs the same ones.
    low = lower_same_length(doc.folded)
    found = contacts(low)
    # Past the work budget (_bounds.py) no fact is extracted: find_invented reports
    # the rest of the message as unchecked instead.
    at = fact_cut(doc.folded, found)
    doc.memo["fact_cut"] = at
    norm, folded = (doc.norm, doc.folded) if at is None else (doc.norm[:at], doc.folded[:at])
    facts, mask = _extract_structured(norm, v, _contacts_before(at, found, low, doc.norm))
    names = list(NAME.finditer(folded))
    # Words inside a template slot ("[First Name]", "{{company}}") are the
    # placeholder rule's business, not names or numbers someone made up. The slots
    # only matter where there is a fact or a name to drop.
    for _, start, end in (
        match_hits(lexicons()["placeholder"].match, doc, norm) if facts or names else ()
    ):
        mask[start:end] = b"\x01" * (end - start)
        facts = [f for f in facts if not (start <= f.start < end)]
    facts.extend(name_facts(folded, names, mask, v))
    facts.sort(key=lambda f: f.start)
    return facts


def _contacts_before(
    at: int | None, found: tuple[Spans, Spans], low: str, norm: str
) -> tuple[Spans, Spans] | None:
    """`contacts(norm[:at])` taken from `found`, the contacts of `low` (None: search).

    An address or a link holds no whitespace and reads nothing past the first
    character after it, so cut at a space or line break (where fact_cut
    cuts) the text holds the same matches before the cut, and none after it.
    """
    if low != norm:
        return None
    if at is None:
        return found
    if norm[at : at + 1] not in {" ", "\n"}:
        return None
    emails, urls = found
    return [s for s in emails if s[0] < at], [s for s in urls if s[0] < at]


MONTH_INDEX = frozenset(MONTHS)
_MONTH_NAMES = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_DAY_MONTH = re.compile(
    r"\b"
    + lead(MONTH_ABBR, r"\d")  # see lead(): most word boundaries fail here at once
    + rf"(?:(?P<m1>{_MONTH_NAMES})\.? (?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b|"
    rf"(?P<d2>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<m2>{_MONTH_NAMES})\b)"
)
_QUARTER_NUMBER = {
    "first": "1", "second": "2", "third": "3", "fourth": "4",
    "1st": "1", "2nd": "2", "3rd": "3", "4th": "4", "1": "1", "2": "2", "3": "3", "4": "4",
}  # fmt: skip
_QUARTER_WORDS = re.compile(
    r"\b(?:(first|second|third|fourth|[1-4](?:st|nd|rd|th))[- ]quarter|quarter ([1-4]))\b"
)
_NUMERIC_DATE = re.compile(r"(?<![\w/])(\d{1,2})/(\d{1,2})(?:/\d{2,4})?(?![\w/])")
_HOUR = re.compile(r"\d+")
_CORPUS_WORD = re.compile(r"[\w]+(?:['-][\w]+)*")


# Contexts can be large (50 prospect messages): keep only a few recent ones.
@lru_cache(maxsize=128)
def support_keys(corpus: str) -> frozenset[str]:
    """Every key the supporting text can vouch for (words, numbers, times, links...)."""
    v = vocab()
    norm = lower_same_length(fold(corpus))
    keys: set[str] = set()
    _add_scanned(norm, v, keys)
    _add_dates(norm, keys)
    for m in v.corpus_numbers_re.finditer(norm):
        value = word_number(m.group(0), v)
        if value is not None:
            keys.add(f"n:{value!r}")
    _add_words(norm, keys)
    return frozenset(keys)


def _add_scanned(norm: str, v: Vocab, keys: set[str]) -> None:
    """The keys of the structured facts (`_scan`) of a supporting text."""
    done: set[tuple[str, str]] = set()
    for kind, start, end, m in _scan(norm, v, lenient=True):
        text = norm[start:end]
        if kind != "nword":  # the keys below depend on the kind and text alone (_keys_once)
            if (kind, text) in done:
                continue
            done.add((kind, text))
        found = keys_for(kind, text, m, v)
        keys.update(found)
        if kind == "time" and (hour := _HOUR.match(text)):
            keys.add(f"n:{float(hour.group(0))!r}")
        # A code's digits vouch for a number too. An amount's number (num_key) is
        # already there: keys_for gives it first.
        if kind == "code" and (key := num_key(text)):
            keys.add(key)
        if kind == "money" and found and (currency := currency_of(text)) is not None:
            keys.add(f"cur:{currency}:{found[0]}")


def _add_dates(norm: str, keys: set[str]) -> None:
    """Dates and quarters, each in the other forms it vouches for."""
    # Each pattern below needs the literal it is gated on (a month's first letters,
    # "quarter", a slash).
    for m in _DAY_MONTH.finditer(norm) if any(a in norm for a in MONTH_ABBR) else ():
        # "14 March" / "March 14th" also vouch for "3/14" and "14/3", and vice versa.
        month = m.group("m1") or m.group("m2")
        day = int(m.group("d1") or m.group("d2"))
        number = MONTHS.index(MONTH_ABBR.get(month[:3], month)) + 1
        keys.update((f"d:{number}/{day}", f"d:{day}/{number}"))
    for m in _QUARTER_WORDS.finditer(norm) if "quarter" in norm else ():
        # "the third quarter" supports "Q3"
        keys.add("q:" + _QUARTER_NUMBER[m.group(1) or m.group(2)])
    for m in _NUMERIC_DATE.finditer(norm) if "/" in norm else ():
        first, second = int(m.group(1)), int(m.group(2))
        keys.update((f"n:{float(first)!r}", f"n:{float(second)!r}"))
        keys.update(f"w:{MONTHS[p - 1]}" for p in (first, second) if 1 <= p <= 12)


def _add_words(norm: str, keys: set[str]) -> None:
    """The keys the words of a supporting text vouch for."""
    for word in set(_CORPUS_WORD.findall(norm)):  # keys are a set: once per word
        base = strip_possessive(word)
        keys.add("w:" + base)
        for part in base.split("-"):
            keys.add("w:" + part)
        if base in MONTH_ABBR:
            keys.add("w:" + MONTH_ABBR[base])
        if base in MONTH_INDEX:  # "November" supports "Nov", "September" "Sept"
            keys.update("w:" + abbr for abbr, full in MONTH_ABBR.items() if full == base)
        if base in WEEKDAY_SET:  # "Thursday" supports "Thu", "Thurs"
            keys.update("w:" + abbr for abbr, full in WEEKDAY_ABBR.items() if full == base)
        if base in WEEKDAY_ABBR:
            keys.add("w:" + WEEKDAY_ABBR[base])
        if base.endswith("s") and base[:-1] in WEEKDAY_SET:
            keys.add("w:" + base[:-1])  # "Thursdays" supports "Thursday"


CURRENCIES = (
    ("usd", re.compile(r"\$|\b(?:usd|dollars?|bucks)\b")),
    ("eur", re.compile(r"€|\b(?:eur|euros?)\b")),
    ("gbp", re.compile(r"£|\b(?:gbp|pounds? sterling|quid)\b|\bpounds?\b(?! of)")),
)


def currency_of(text: str) -> str | None:
    """The currency an amount is written in ("£30k" -> "gbp"), if it names one."""
    for code, pattern in CURRENCIES:
        if pattern.search(text):
            return code
    return None
