"""Fact extraction: the numbers, dates, links and names in a text, as canonical keys.

invented_fact and not_personalized both use it. The message and the
supporting text go through the same extractor, which turns each fact into
canonical keys (_fact_keys.py): "six weeks" and "6 weeks" both give `n:6`,
"$1,200" and "1200 dollars" both give `n:1200`, "3pm" gives `t:15:00`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from service.analysis._bounds import fact_cut
from service.analysis._fact_keys import (
    CALENDAR,
    CODE,
    DIGIT_FACTS,
    EMAIL,
    HAS_DIGIT,
    IGNORED,
    MONTH_ABBR,
    MONTH_CUE,
    MONTH_CUE_MARCH,
    MONTHS,
    NAME,
    SKIP_BACK,
    URL,
    URL_HINT,
    WEEKDAY_ABBR,
    WEEKDAY_SET,
    WEEKDAYS,
    Fact,
    Vocab,
    keys_for,
    num_key,
    vocab,
    word_number,
)
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
        digits_before.append(digits_before[-1] + sum(ch.isdigit() for ch in norm[start:end]))
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
    norm: str, v: Vocab, *, lenient: bool = False
) -> list[tuple[str, int, int, re.Match[str] | None]]:
    """(kind, start, end, match) for every structured fact, leftmost first, no overlaps."""
    found: list[tuple[str, int, int, re.Match[str] | None]] = []
    if "@" in norm:
        found.extend(("email", m.start(), m.end(), None) for m in EMAIL.finditer(norm))
    if URL_HINT.search(norm):
        found.extend(
            ("url", m.start(), _trim_url(norm, m.start(), m.end()), None)
            for m in URL.finditer(norm)
        )
    if HAS_DIGIT.search(norm):
        found.extend(("code", m.start(), m.end(), None) for m in CODE.finditer(norm))
    for m in DIGIT_FACTS.finditer(norm) if HAS_DIGIT.search(norm) else ():
        end = m.end()
        if m.lastgroup == "number" and (unit := v.unit_after.match(norm, end)):
            end = unit.end()  # underline "8 weeks", not just "8"
        found.append((m.lastgroup or "number", m.start(), end, m))
    if not v.word_triggers.isdisjoint(_WORDS.findall(norm)):
        for m in v.fact_re.finditer(" " + norm):
            kind = next(k for k in _WORD_FACT_KINDS if m.group(k) is not None)
            found.append(("nword" if kind == "nw" else kind, m.start(), m.end() - 1, m))
    found.sort(key=lambda f: (f[1], -f[2]))
    out: list[tuple[str, int, int, re.Match[str] | None]] = []
    last_end = -1
    for item in found:
        if item[1] >= last_end:
            out.append(item)
            last_end = item[2]
    return _join_phones(norm, out, lenient) if HAS_DIGIT.search(norm) else out


def _extract_structured(norm: str, v: Vocab) -> tuple[list[Fact], bytearray]:
    facts: list[Fact] = []
    mask = bytearray(len(norm))
    for kind, start, end, m in _scan(norm, v):
        if (
            IGNORED.fullmatch(norm[start:end])
            or (start and norm[start - 1] == "<")  # "<3" is a heart, not a number
            or norm.startswith(("-pager", "-page ", "-on-1"), end)  # a "1-pager"
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


def _is_month_may(norm: str, end: int) -> bool:
    """'May' is a month when a day number or a year follows, or 'in/by/early May'."""
    after = norm[end : end + 6]
    before = norm[max(0, end - 12) : end - 3]
    return bool(re.match(r"\s+\d", after) or MONTH_CUE.search(before))


def _is_month_march(norm: str, start: int, end: int) -> bool:
    after = norm[end : end + 6]
    before = norm[max(0, start - 12) : start]
    return bool(re.match(r"\s+\d", after) or MONTH_CUE_MARCH.search(before))


def _at_sentence_start(folded: str, start: int) -> bool:
    """True at the text start or after terminal punctuation / a line break (bullets skipped)."""
    i = start - 1
    while i >= 0 and folded[i] in SKIP_BACK:
        i -= 1
    # An emoji ends a sentence too: "here I am 🙂 Want the checklist?"
    return i < 0 or folded[i] in ".!?:;\n" or ord(folded[i]) >= 0x2600


def _name_facts(folded: str, mask: bytearray, v: Vocab) -> list[Fact]:
    """Runs of capitalised words that are not sentence openers or common words."""
    facts: list[Fact] = []
    tokens = [m for m in NAME.finditer(folded) if not mask[m.start()]]
    i = 0
    while i < len(tokens):
        run = [tokens[i]]
        while i + 1 < len(tokens) and folded[run[-1].end() : tokens[i + 1].start()] == " ":
            i += 1
            run.append(tokens[i])
        i += 1
        starts_sentence = _at_sentence_start(folded, run[0].start())
        if starts_sentence and len(run) == 1 and not _cued_name(folded, run[0], v):
            continue
        if (
            starts_sentence
            and len(run) > 1
            and (run[0].group(0).lower() in v.openers or not _name_word(run[1].group(0), v))
        ):
            run = run[1:]  # "Your VP ...", "Hope Dana ...": the opener is an ordinary word
        kept = [t for t in run if _name_word(t.group(0), v)]
        if not kept:
            continue
        # "Reno-Sacramento" is two names: each part must be supported.
        keys = tuple(
            "w:" + part
            for t in kept
            for part in _strip_possessive(t.group(0).lower()).split("-")
            if part
        )
        facts.append(Fact("name", kept[0].start(), _name_end(kept[-1]), keys))
    return facts


_NEXT_WORDS = re.compile(r" ([a-z]+)(?: ([A-Z]))?")


def _cued_name(folded: str, token: re.Match[str], v: Vocab) -> bool:
    """'Sarah mentioned ...' / 'Sarah from Globex ...': a name although it opens the sentence."""
    if not _name_word(token.group(0), v) or token.group(0).lower() in v.openers:
        return False
    nxt = _NEXT_WORDS.match(folded, token.end())
    if nxt is None:
        return False
    return nxt.group(1) in v.name_cues or (nxt.group(1) in {"from", "at"} and bool(nxt.group(2)))


def _strip_possessive(word: str) -> str:
    return word[:-2] if word.endswith("'s") else word


def _name_end(m: re.Match[str]) -> int:
    return m.end() - 2 if m.group(0).endswith("'s") else m.end()


_CONTRACTION = re.compile(r"'(?:d|ll|re|ve|m)$")


def _name_word(word: str, v: Vocab) -> bool:
    return _is_name_word(word, v.not_names)


@lru_cache(maxsize=16384)
def _is_name_word(word: str, not_names: frozenset[str]) -> bool:
    """Memoised: the same capitalised words recur across drafts (Hi, Thanks, names)."""
    if len(word) >= 2 and word.isupper():
        return False  # acronyms (CRM, ROI, YES) are not treated as names
    if len(word) >= 3 and word[-1] == "s" and word[:-1].isupper():
        return False  # plural acronyms: "PMs", "CFOs"
    if any(part[:1].islower() for part in word.split("-")[1:]):
        return False  # "AI-powered", "Follow-up": a compound word, not a name
    low = _CONTRACTION.sub("", _strip_possessive(word.lower()))  # "You'd"
    return low not in not_names and len(low) > 1


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
    # Past the work budget (_bounds.py) no fact is extracted: find_invented reports
    # the rest of the message as unchecked instead.
    at = fact_cut(doc.folded)
    doc.memo["fact_cut"] = at
    norm, folded = (doc.norm, doc.folded) if at is None else (doc.norm[:at], doc.folded[:at])
    facts, mask = _extract_structured(norm, v)
    # Words inside a template slot ("[First Name]", "{{company}}") are the
    # placeholder rule's business, not names or numbers someone made up.
    for _, start, end in match_hits(lexicons()["placeholder"].match, doc, norm):
        mask[start:end] = b"\x01" * (end - start)
        facts = [f for f in facts if not (start <= f.start < end)]
    facts.extend(_name_facts(folded, mask, v))
    facts.sort(key=lambda f: f.start)
    return facts


MONTH_INDEX = frozenset(MONTHS)
_MONTH_NAMES = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_DAY_MONTH = re.compile(
    rf"\b(?:(?P<m1>{_MONTH_NAMES})\.? (?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b|"
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


# Contexts can be large (50 prospect messages): keep only a few recent ones.
@lru_cache(maxsize=128)
def support_keys(corpus: str) -> frozenset[str]:
    """Every key the supporting text can vouch for (words, numbers, times, links...)."""
    v = vocab()
    norm = lower_same_length(fold(corpus))
    keys: set[str] = set()
    for kind, start, end, m in _scan(norm, v, lenient=True):
        text = norm[start:end]
        keys.update(keys_for(kind, text, m, v))
        if kind == "time" and (hour := re.match(r"\d+", text)):
            keys.add(f"n:{float(hour.group(0))!r}")
        if kind in {"money", "percent", "ordinal", "number", "code"} and (key := num_key(text)):
            keys.add(key)
            if kind == "money" and (currency := currency_of(text)) is not None:
                keys.add(f"cur:{currency}:{key}")
    for m in _DAY_MONTH.finditer(norm):
        # "14 March" / "March 14th" also vouch for "3/14" and "14/3", and vice versa.
        month = m.group("m1") or m.group("m2")
        day = int(m.group("d1") or m.group("d2"))
        number = MONTHS.index(MONTH_ABBR.get(month[:3], month)) + 1
        keys.update((f"d:{number}/{day}", f"d:{day}/{number}"))
    for m in _QUARTER_WORDS.finditer(norm):  # "the third quarter" supports "Q3"
        keys.add("q:" + _QUARTER_NUMBER[m.group(1) or m.group(2)])
    for m in _NUMERIC_DATE.finditer(norm):
        first, second = int(m.group(1)), int(m.group(2))
        keys.update((f"n:{float(first)!r}", f"n:{float(second)!r}"))
        keys.update(f"w:{MONTHS[p - 1]}" for p in (first, second) if 1 <= p <= 12)
    for m in v.corpus_numbers_re.finditer(norm):
        value = word_number(m.group(0), v)
        if value is not None:
            keys.add(f"n:{value!r}")
    for word in set(re.findall(r"[\w]+(?:['-][\w]+)*", norm)):  # keys are a set: once per word
        base = _strip_possessive(word)
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
    return frozenset(keys)


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
