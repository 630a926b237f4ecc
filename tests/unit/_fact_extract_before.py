"""The fact extraction as it was before issue #14's faster passes: the reference
test_fact_scan_equivalence.py compares the current code with.

Same steps and the same helpers where they did not change; the regexes are
the old sources (no look-ahead in front, no gate before a pass), and every
pass runs over the whole text.
"""

from __future__ import annotations

import re

from service.analysis import _fact_extract as fe
from service.analysis._addresses import EMAIL, URL
from service.analysis._bounds import fact_cut
from service.analysis._fact_keys import (
    CODE,
    DIGIT_FACTS,
    HAS_DIGIT,
    IGNORED,
    MONTH_ABBR,
    MONTHS,
    NAME,
    URL_HINT,
    WEEKDAY_SET,
    WEEKDAYS,
    Fact,
    Vocab,
    keys_for,
    num_key,
    vocab,
    word_number,
)
from service.analysis._fact_names import name_facts
from service.analysis._matcher import lexicons
from service.analysis._text import Doc, fold, lower_same_length

_LEAD = re.compile(r"\(\?=[^()]*\)")  # lead()'s look-ahead holds no group


def without_lead(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The pattern with its first look-ahead (the one lead() put in front) taken out."""
    source, found = _LEAD.subn("", pattern.pattern, count=1)
    assert found == 1, pattern.pattern[:80]
    return re.compile(source)


CALENDAR = re.compile(r"\b(?:(?:" + "|".join(WEEKDAYS) + r")s?|" + "|".join(MONTHS) + r")\b")
_MONTH_NAMES = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
DAY_MONTH = re.compile(
    rf"\b(?:(?P<m1>{_MONTH_NAMES})\.? (?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b|"
    rf"(?P<d2>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<m2>{_MONTH_NAMES})\b)"
)
FACT_START = re.compile(r"\d+|[A-Z\u00c0-\u00de][^\W\d_]*")


def scan(norm: str, v: Vocab, *, lenient: bool = False) -> list[fe._Item]:
    fact_re = without_lead(v.fact_re)
    found: list[fe._Item] = []
    if "@" in norm:
        found.extend(("email", m.start(), m.end(), None) for m in EMAIL.finditer(norm))
    if URL_HINT.search(norm):
        found.extend(
            ("url", m.start(), fe._trim_url(norm, m.start(), m.end()), None)
            for m in URL.finditer(norm)
        )
    if HAS_DIGIT.search(norm):
        found.extend(("code", m.start(), m.end(), None) for m in CODE.finditer(norm))
    for m in DIGIT_FACTS.finditer(norm) if HAS_DIGIT.search(norm) else ():
        end = m.end()
        if m.lastgroup == "number" and (unit := v.unit_after.match(norm, end)):
            end = unit.end()
        found.append((m.lastgroup or "number", m.start(), end, m))
    if not v.word_triggers.isdisjoint(fe._WORDS.findall(norm)):
        for m in fact_re.finditer(" " + norm):
            kind = next(k for k in fe._WORD_FACT_KINDS if m.group(k) is not None)
            found.append(("nword" if kind == "nw" else kind, m.start(), m.end() - 1, m))
    found.sort(key=lambda f: (f[1], -f[2]))
    out: list[fe._Item] = []
    last_end = -1
    for item in found:
        if item[1] >= last_end:
            out.append(item)
            last_end = item[2]
    return fe._join_phones(norm, out, lenient) if HAS_DIGIT.search(norm) else out


def _structured(norm: str, v: Vocab) -> tuple[list[Fact], bytearray]:
    facts: list[Fact] = []
    mask = bytearray(len(norm))
    for kind, start, end, m in scan(norm, v):
        if (
            IGNORED.fullmatch(norm[start:end])
            or (start and norm[start - 1] == "<")
            or norm.startswith(("-pager", "-page ", "-on-1"), end)
        ):
            continue
        keys = keys_for(kind, norm[start:end], m, v)
        if keys:
            facts.append(Fact(kind, start, end, keys))
            mask[start:end] = b"\x01" * (end - start)
    for m in CALENDAR.finditer(norm):
        word = m.group(0)
        if mask[m.start()]:
            continue
        if word == "may" and not fe._is_month_may(norm, m.end()):
            continue
        if word == "march" and not fe._is_month_march(norm, m.start(), m.end()):
            continue
        if norm.endswith("happy ", 0, m.start()):
            continue
        if word.endswith("s") and word[:-1] in WEEKDAY_SET:
            word = word[:-1]
        kind = "weekday" if word in WEEKDAYS else "month"
        facts.append(Fact(kind, m.start(), m.end(), (f"w:{word}",)))
        mask[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    return facts, mask


def extract(doc: Doc) -> tuple[list[Fact], int | None]:
    """The facts of a message and where its checks stopped."""
    v = vocab()
    at = fact_cut(doc.folded)
    norm, folded = (doc.norm, doc.folded) if at is None else (doc.norm[:at], doc.folded[:at])
    facts, mask = _structured(norm, v)
    for _, start, end in lexicons()["placeholder"].match.finditer(norm):
        mask[start:end] = b"\x01" * (end - start)
        facts = [f for f in facts if not (start <= f.start < end)]
    facts.extend(name_facts(folded, list(NAME.finditer(folded)), mask, v))
    facts.sort(key=lambda f: f.start)
    return facts, at


def support_keys(corpus: str) -> frozenset[str]:
    v = vocab()
    corpus_numbers = without_lead(v.corpus_numbers_re)
    norm = lower_same_length(fold(corpus))
    keys: set[str] = set()
    for kind, start, end, m in scan(norm, v, lenient=True):
        text = norm[start:end]
        keys.update(keys_for(kind, text, m, v))
        if kind == "time" and (hour := re.match(r"\d+", text)):
            keys.add(f"n:{float(hour.group(0))!r}")
        if kind in {"money", "percent", "ordinal", "number", "code"} and (key := num_key(text)):
            keys.add(key)
            if kind == "money" and (currency := fe.currency_of(text)) is not None:
                keys.add(f"cur:{currency}:{key}")
    for m in DAY_MONTH.finditer(norm):
        month = m.group("m1") or m.group("m2")
        day = int(m.group("d1") or m.group("d2"))
        number = MONTHS.index(MONTH_ABBR.get(month[:3], month)) + 1
        keys.update((f"d:{number}/{day}", f"d:{day}/{number}"))
    for m in fe._QUARTER_WORDS.finditer(norm):
        keys.add("q:" + fe._QUARTER_NUMBER[m.group(1) or m.group(2)])
    for m in fe._NUMERIC_DATE.finditer(norm):
        first, second = int(m.group(1)), int(m.group(2))
        keys.update((f"n:{float(first)!r}", f"n:{float(second)!r}"))
        keys.update(f"w:{MONTHS[p - 1]}" for p in (first, second) if 1 <= p <= 12)
    for m in corpus_numbers.finditer(norm):
        value = word_number(m.group(0), v)
        if value is not None:
            keys.add(f"n:{value!r}")
    fe._add_words(norm, keys)  # unchanged: the per-word keys, moved into a function
    return frozenset(keys)
