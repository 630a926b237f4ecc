"""Fact vocabulary and canonical keys for invented_fact (see _fact_extract.py).

Every fact becomes one or more keys so that different spellings meet:
"six weeks"/"6 weeks" -> `n:6.0`, "$1,200"/"1200 dollars" -> `n:1200.0`,
"3pm" -> `t:15:00`, "Thursday" -> `w:thursday`, URLs without scheme/www.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from service.analysis._addresses import EMAIL as EMAIL
from service.analysis._addresses import URL as URL
from service.analysis._matcher import lexicons
from service.analysis._normalize import TLD_NAMES


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact in a text: its kind, span and canonical keys."""

    kind: str
    start: int
    end: int
    keys: tuple[str, ...]


MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
MONTH_ABBR = {m[:3]: m for m in MONTHS} | {"sept": "september"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_ABBR = {
    "mon": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "wed": "wednesday",
    "thu": "thursday",
    "thur": "thursday",
    "thurs": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
}
_MULT = {
    "k": 1e3,
    "hundred": 1e2,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "b": 1e9,
    "billion": 1e9,
}
IGNORED = re.compile(r"24/7|1:1|\bb2[bc]\b|\bq&a\b|1-(?:pager|page|on-1)")
WEEKDAY_SET = frozenset(WEEKDAYS)
# "may"/"march" are verbs too: they count as months after these words or before a number.
MONTH_CUE = re.compile(r"(?:in|by|since|until|early|mid|late|of|end of)\s+$")
MONTH_CUE_MARCH = re.compile(r"(?:in|by|since|until|early|mid|late|of|end of|this|next|last)\s+$")

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
# Facts that contain a digit (or a currency sign): the leading lookahead lets
# the scanner skip every other position cheaply.
DIGIT_FACTS = re.compile(
    r"(?=[\d$€£+(])(?:"
    r"(?P<phone>(?<![\w$])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)\s?|\d{2,4}[\s.-])\d{3,4}[\s.-]\d{3,4}(?!\w))"
    r"|(?P<time>(?<!\w)\d{1,2}(?::\d{2})?\s?[ap]\.?m\b\.?|(?<![\w:])\d{1,2}:\d{2}(?![\w:]))"
    r"|(?P<date>(?<![\w/])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?)(?![\w/]))"
    r"|(?P<money>[$€£]\s?" + _NUM + r"(?:\s?(?:k|m|mm|bn|million|thousand|billion)\b)?"
    r"|(?<![\w.])" + _NUM + r"\s?(?:k|m|million|thousand)?\s?"
    r"(?:dollars|usd|euros?|eur|pounds|gbp|bucks)\b)"
    r"|(?P<percent>(?<![\w.])" + _NUM + r"\s?(?:%|percent\b|per cent\b))"
    r"|(?P<ordinal>(?<![\w.])\d{1,2}(?:st|nd|rd|th)\b)"
    r"|(?P<number>(?<![\w.,])" + _NUM + r"(?:\s?(?:k|m|bn|million|thousand|billion)\b|x\b)?)"
    r")"
)
_TLDS = "(?:" + TLD_NAMES + ")"
# A top-level domain is a whole run of 2 to _TLD_MAX letters: checked first, so a
# "." followed by anything else ("a.b.c.d.", "1.5") skips the ~150 alternatives.
_TLD_MAX = max(len(t) for t in TLD_NAMES.split("|"))
URL_HINT = re.compile(
    rf"https?://|www\.|\.(?=[a-z]{{2,{_TLD_MAX}}}(?![a-z0-9-])){_TLDS}(?![a-z0-9-])"
)
_QUARTER_NOON = r"(?P<quarter>q[1-4]\b)|(?P<time>(?:noon|midday)\b)"
# The capital comes first so the regex engine can jump between capitals; the
# look-behind after it rejects capitals inside words ("McKinsey" stays whole).
NAME = re.compile(r"[A-Z\u00c0-\u00de](?<![\w'][A-Z\u00c0-\u00de])[\w]*(?:['-][\w]+)*")
HAS_DIGIT = re.compile(r"[\d$€£]")
# A code: letters then digits in one token ("tournesol-482", "zima2024", "pick_7731-b"),
# a password, voucher or reference. Its key ignores separators ("code:tournesol482").
CODE = re.compile(r"(?<![\w-])[a-z]{2,24}[-_]?\d{2,12}(?:[-_]?[a-z0-9]{1,12}){0,3}(?![\w-])")
# What every code holds: a letter, maybe a separator, then two digits. Searched from
# the digits (the engine jumps between them), it rules the CODE pass out cheaply.
CODE_HINT = re.compile(r"\d(?:(?<=[a-z]\d)|(?<=[a-z][-_]\d))\d")
SKIP_BACK = frozenset(" \t\"'*-\u2022>([0123456789")


def lead(words: Iterable[str], *more: str) -> str:
    r"""A look-ahead for the first two characters of `words` (or any of `more`).

    Put in front of a long alternation of words, it turns most positions away
    with a character test or two instead of trying every word there ("<<<<",
    "a.b.c.d." or combining marks as 20 KB of text: each position is a word
    boundary or a non-word character). A space in a word stands for `[\s-]`,
    as in `_word_alt`. It only states what every match starts with, so the
    pattern finds exactly what it found without it.
    """
    seconds: dict[str, set[str]] = {}
    for word in words:
        seconds.setdefault(word[0], set()).add(word[1:2])
    alternatives = [*more]
    for first, chars in sorted(seconds.items()):
        if "" in chars:  # a one-letter word: any second character
            alternatives.append(re.escape(first))
            continue
        cls = "".join(sorted(re.escape(c) for c in chars if c != " "))
        alternatives.append(re.escape(first) + "[" + cls + (r"\s-" if " " in chars else "") + "]")
    return "(?=" + "|".join(alternatives) + ")"


# Weekdays may be plural ("on Thursdays"); the key is the singular.
CALENDAR = re.compile(
    r"\b"
    + lead(WEEKDAYS + MONTHS)
    + r"(?:(?:"
    + "|".join(WEEKDAYS)
    + r")s?|"
    + "|".join(MONTHS)
    + r")\b"
)


@dataclass(frozen=True, slots=True)
class Vocab:
    numbers: dict[str, float]
    draft_numbers: frozenset[str]
    fact_re: re.Pattern[str]
    corpus_numbers_re: re.Pattern[str]
    unit_after: re.Pattern[str]
    # Words without which no spelled-out fact can match: if none occurs, skip the scan.
    word_triggers: frozenset[str]
    not_names: frozenset[str]
    openers: frozenset[str]
    name_cues: frozenset[str]


def _word_alt(words: list[str]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"[\s-]") for w in ordered)


def _parse_numbers(items: list[str]) -> dict[str, float]:
    """Entries are "word:value" ("six:6"); a bad entry fails at load time."""
    out: dict[str, float] = {}
    for item in items:
        name, _, value = item.rpartition(":")
        out[name] = float(value)
    return out


@cache
def vocab() -> Vocab:
    words = lexicons()["invented_fact"].file.words
    cardinals = _parse_numbers(words["numbers"])
    numbers = cardinals | _parse_numbers(words["ordinal_words"])
    tens = [w for w, v in numbers.items() if v in {20, 30, 40, 50, 60, 70, 80, 90} and " " not in w]
    ones = [w for w, v in cardinals.items() if 1 <= v <= 9 and " " not in w]
    compound = rf"(?:{_word_alt(tens)})[- ](?:{_word_alt(ones)})"
    # In the message, only cardinals from two up count ("one quick idea" is not a claim).
    draft_numbers = frozenset(w for w, v in cardinals.items() if v >= 2)
    draft_alt = f"{compound}|{_word_alt(sorted(draft_numbers))}"
    # Without a unit, a spelled-out number from eleven up is still a claim ("fifteen
    # of those legs"); so is a ratio ("nine out of ten"). Small ones are not ("two ideas").
    big = [w for w, v in cardinals.items() if 11 <= v < 100 and " " not in w and w != "dozen"]
    big_alt = f"{compound}|{_word_alt(big)}"
    ratio_alt = f"{draft_alt}|one"
    units = _word_alt(words["units"])
    # Run on " " + text: the leading non-word character lets the engine jump
    # between word starts instead of trying every position (see _facts._scan).
    fact_re = re.compile(
        r"\W" + lead(cardinals, "q[1-4]", "noon", "midday") + rf"(?P<fact>{_QUARTER_NOON}"
        rf"|(?P<ratio>(?:{ratio_alt})[\s-]+out[\s-]+of[\s-]+(?:{draft_alt}|\d+))\b"
        rf"|(?P<nw>{draft_alt})"
        # A unit may follow after up to two words: "three national tourism awards".
        rf"(?:[- ](?:[a-z]+[- ]){{0,2}}?(?:{units})\b|(?P<pword>[- ](?:%|percent\b|per cent\b)))"
        rf"|(?P<big>{big_alt})\b)"
    )
    corpus_numbers_re = re.compile(
        r"\b" + lead(numbers) + rf"(?:{compound}|{_word_alt(list(numbers))})\b"
    )
    return Vocab(
        numbers=numbers,
        draft_numbers=draft_numbers,
        fact_re=fact_re,
        corpus_numbers_re=corpus_numbers_re,
        unit_after=re.compile(rf"[- ](?:{units})\b"),
        word_triggers=frozenset(w.split()[-1] for w in draft_numbers)
        | frozenset(w for w in tens)
        | frozenset(big)
        | {"q1", "q2", "q3", "q4", "noon", "midday"},
        not_names=frozenset(words["not_names"])
        | frozenset(words["function_words"])
        | frozenset(MONTHS)
        | frozenset(WEEKDAYS),
        openers=frozenset(words["sentence_openers"]) | frozenset(words["greetings"]),
        name_cues=frozenset(words["name_cues"]),
    )


def num_key(text: str) -> str | None:
    m = re.search(
        r"(\d+(?:,\d{3})*(?:\.\d+)?)(?:\s?(k|mm|m|bn|b|million|thousand|billion)\b)?", text
    )
    if m is None:
        return None
    value = float(m.group(1).replace(",", ""))
    if m.group(2):
        value *= _MULT[m.group(2)]
    return f"n:{round(value, 4)!r}"


def word_number(text: str, v: Vocab) -> float | None:
    text = re.sub(r"[\s-]+", " ", text.strip())
    if text in v.numbers:
        return v.numbers[text]
    parts = text.split(" ")
    if len(parts) == 2 and parts[0] in v.numbers and parts[1] in v.numbers:
        return v.numbers[parts[0]] + v.numbers[parts[1]]
    return None


def _time_keys(text: str) -> tuple[str, ...]:
    if text in {"noon", "midday"}:
        return ("t:12:00",)
    m = re.match(r"(\d{1,2})(?::(\d{2}))?\s?([ap])?", text)
    if m is None:
        return ()
    hour, minute, half = int(m.group(1)), m.group(2) or "00", m.group(3)
    if half == "p" and hour < 12:
        return (f"t:{hour + 12}:{minute}",)
    if half == "a" and hour == 12:
        return (f"t:0:{minute}",)
    if half is None and hour < 12:
        return (f"t:{hour}:{minute}", f"t:{hour + 12}:{minute}")
    return (f"t:{hour}:{minute}",)


def _url_key(text: str) -> str:
    text = re.sub(r"^(?:https?://)?(?:www\.)?", "", text.rstrip(".,;:!?'\""))
    return "url:" + text.rstrip("/")


def keys_for(kind: str, text: str, m: re.Match[str] | None, v: Vocab) -> tuple[str, ...]:
    if kind == "email":
        return ("email:" + text,)
    if kind == "url":
        return (_url_key(text),)
    if kind == "code":
        return ("code:" + re.sub(r"[-_]", "", text),)
    if kind == "phone":
        digits = re.sub(r"\D", "", text)
        return ("ph:" + digits[-9:],)
    if kind == "time":
        return _time_keys(text)
    if kind == "date":
        return ("d:" + "/".join(str(int(p)) for p in re.split(r"[/-]", text)),)
    if kind == "quarter":
        return ("q:" + text[1],)
    if kind == "nword":
        if m is None:
            return ()
        value = word_number(m.group("nw"), v)
        if value is None:
            return ()
        if scale := _SCALE_WORD.search(text):  # "two thousand dollars" is 2000
            return (f"n:{value * _MULT[scale.group(1)]!r}", f"n:{value!r}")
        return _with_duration(f"n:{value!r}", value, text)
    if kind == "big":
        value = word_number(text, v)
        return (f"n:{value!r}",) if value is not None else ()
    if kind == "ratio":
        first, _, second = re.split(r"[\s-]+(out)[\s-]+of[\s-]+", text)
        a = word_number(first, v)
        b = float(second) if second.isdigit() else word_number(second, v)
        if a is None or not b:
            return ()
        # "nine out of ten" is also "90%": either supports it.
        return (f"n:{a!r}", f"n:{round(100 * a / b, 4)!r}")
    key = num_key(text)
    if key is None:
        return ()
    return _with_duration(key, float(key[2:]), text)


_SCALE_WORD = re.compile(r"[- ](hundred|thousand|million|billion)\b")


# Minutes per unit, so "two weeks" and "14 days" meet at the same duration key.
_MINUTES = {
    "min": 1,
    "minute": 1,
    "hr": 60,
    "hour": 60,
    "day": 1440,
    "week": 10080,
    "month": 43200,
    "quarter": 129600,
    "year": 525600,
}
_DURATION_UNIT = re.compile(r"[- ](min|minute|hr|hour|day|week|month|quarter|year)s?$")


def _with_duration(key: str, value: float, text: str) -> tuple[str, ...]:
    unit = _DURATION_UNIT.search(text)
    if unit is None:
        return (key,)
    return (key, f"dur:{round(value * _MINUTES[unit.group(1)], 4)!r}")
