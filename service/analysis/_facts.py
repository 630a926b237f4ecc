"""invented_fact: facts in the message that neither the context nor the original supports.

Both the message and the supporting text go through the same extractor,
which turns each fact into canonical keys: "six weeks" and "6 weeks" both
give `n:6`, "$1,200" and "1200 dollars" both give `n:1200`, "3pm" gives
`t:15:00`. A fact is supported when any of its keys is among the support's
keys. Names are supported when every word of the name occurs in the support
(case-insensitive), so "Dana" is supported by "Dana Miles".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from service.models import Context, Finding, Message

from ._lexicon import Lexicon, lexicons
from ._patterns import make_finding
from ._text import Doc, fold, lower_same_length

_MONTHS = (
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
_MONTH_ABBR = {m[:3]: m for m in _MONTHS} | {"sept": "september"}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ABBR = {
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
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "b": 1e9,
    "billion": 1e9,
}
_IGNORED = re.compile(r"24/7|1:1|\bb2[bc]\b|\bq&a\b")
_WEEKDAY_SET = frozenset(_WEEKDAYS)
# "may"/"march" are verbs too: they count as months after these words or before a number.
_MONTH_CUE = re.compile(r"(?:in|by|since|until|early|mid|late|of|end of)\s+$")
_MONTH_CUE_MARCH = re.compile(r"(?:in|by|since|until|early|mid|late|of|end of|this|next|last)\s+$")

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
# Facts that contain a digit (or a currency sign): the leading lookahead lets
# the scanner skip every other position cheaply.
_DIGIT_FACTS = re.compile(
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
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
_TLDS = r"(?:com|io|co|net|org|ai|app|dev|us|uk|de|biz|info|ly|me|so)"
_URL_HINT = re.compile(r"https?://|www\.|\." + _TLDS + r"(?![a-z0-9-])")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"')\]]+|(?<![@\w.])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*"
    r"\." + _TLDS + r"(?![a-z0-9-])(?:/[^\s<>\"')\]]*)?"
)
_QUARTER_NOON = r"(?P<quarter>q[1-4]\b)|(?P<time>(?:noon|midday)\b)"
# The capital comes first so the regex engine can jump between capitals; the
# look-behind after it rejects capitals inside words ("McKinsey" stays whole).
_NAME = re.compile(r"[A-Z\u00c0-\u00de](?<![\w'][A-Z\u00c0-\u00de])[\w]*(?:['-][\w]+)*")
_HAS_DIGIT = re.compile(r"[\d$€£]")
_SKIP_BACK = frozenset(" \t\"'*-\u2022>([0123456789")
_CALENDAR = re.compile(r"\b(?:" + "|".join((*_WEEKDAYS, *_MONTHS)) + r")\b")


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
    units = _word_alt(words["units"])
    fact_re = re.compile(
        rf"\b(?:{_QUARTER_NOON}|(?P<nw>{draft_alt})"
        rf"(?:[- ](?:{units})\b|(?P<pword>[- ](?:%|percent\b|per cent\b))))"
    )
    corpus_numbers_re = re.compile(rf"\b(?:{compound}|{_word_alt(list(numbers))})\b")
    return Vocab(
        numbers=numbers,
        draft_numbers=draft_numbers,
        fact_re=fact_re,
        corpus_numbers_re=corpus_numbers_re,
        unit_after=re.compile(rf"[- ](?:{units})\b"),
        word_triggers=frozenset(w.split()[-1] for w in draft_numbers)
        | frozenset(w for w in tens)
        | {"q1", "q2", "q3", "q4", "noon", "midday"},
        not_names=frozenset(words["not_names"])
        | frozenset(words["function_words"])
        | frozenset(_MONTHS)
        | frozenset(_WEEKDAYS),
        openers=frozenset(words["sentence_openers"]) | frozenset(words["greetings"]),
        name_cues=frozenset(words["name_cues"]),
    )


def _num_key(text: str) -> str | None:
    m = re.search(
        r"(\d+(?:,\d{3})*(?:\.\d+)?)(?:\s?(k|mm|m|bn|b|million|thousand|billion)\b)?", text
    )
    if m is None:
        return None
    value = float(m.group(1).replace(",", ""))
    if m.group(2):
        value *= _MULT[m.group(2)]
    return f"n:{round(value, 4)!r}"


def _word_number(text: str, v: Vocab) -> float | None:
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


def _keys_for(kind: str, text: str, m: re.Match[str] | None, v: Vocab) -> tuple[str, ...]:
    if kind == "email":
        return ("email:" + text,)
    if kind == "url":
        return (_url_key(text),)
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
        value = _word_number(m.group("nw"), v)
        return (f"n:{value!r}",) if value is not None else ()
    key = _num_key(text)
    return (key,) if key else ()


_ADVICE = "check it or leave it out."


@dataclass(frozen=True, slots=True)
class Fact:
    kind: str
    start: int
    end: int
    keys: tuple[str, ...]


def _trim_url(norm: str, start: int, end: int) -> int:
    while end > start and norm[end - 1] in ".,;:!?'\"":
        end -= 1
    return end


def _scan(norm: str, v: Vocab) -> list[tuple[str, int, int, re.Match[str] | None]]:
    """(kind, start, end, match) for every structured fact, leftmost first, no overlaps."""
    found: list[tuple[str, int, int, re.Match[str] | None]] = []
    if "@" in norm:
        found.extend(("email", m.start(), m.end(), None) for m in _EMAIL.finditer(norm))
    if _URL_HINT.search(norm):
        found.extend(
            ("url", m.start(), _trim_url(norm, m.start(), m.end()), None)
            for m in _URL.finditer(norm)
        )
    for m in _DIGIT_FACTS.finditer(norm) if _HAS_DIGIT.search(norm) else ():
        end = m.end()
        if m.lastgroup == "number" and (unit := v.unit_after.match(norm, end)):
            end = unit.end()  # underline "8 weeks", not just "8"
        found.append((m.lastgroup or "number", m.start(), end, m))
    triggered = any(t in norm for t in v.word_triggers)
    for m in v.fact_re.finditer(norm) if triggered else ():
        kind = "nword" if m.group("nw") else (m.lastgroup or "")
        found.append((kind, m.start(), m.end(), m))
    found.sort(key=lambda f: (f[1], -f[2]))
    out: list[tuple[str, int, int, re.Match[str] | None]] = []
    last_end = -1
    for item in found:
        if item[1] >= last_end:
            out.append(item)
            last_end = item[2]
    return out


def _extract_structured(norm: str, v: Vocab) -> tuple[list[Fact], bytearray]:
    facts: list[Fact] = []
    mask = bytearray(len(norm))
    for kind, start, end, m in _scan(norm, v):
        if _IGNORED.fullmatch(norm[start:end]) or (start and norm[start - 1] == "<"):
            continue  # "<3" is a heart, not a number
        keys = _keys_for(kind, norm[start:end], m, v)
        if keys:
            facts.append(Fact(kind, start, end, keys))
            mask[start:end] = b"\x01" * (end - start)
    for m in _CALENDAR.finditer(norm):
        word = m.group(0)
        if mask[m.start()]:
            continue
        if word == "may" and not _is_month_may(norm, m.end()):
            continue
        if word == "march" and not _is_month_march(norm, m.start(), m.end()):
            continue
        if norm.endswith("happy ", 0, m.start()):
            continue  # "Happy Friday!" is a greeting, not a date
        kind = "weekday" if word in _WEEKDAYS else "month"
        facts.append(Fact(kind, m.start(), m.end(), (f"w:{word}",)))
        mask[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    return facts, mask


def _is_month_may(norm: str, end: int) -> bool:
    """'May' is a month when a day number or a year follows, or 'in/by/early May'."""
    after = norm[end : end + 6]
    before = norm[max(0, end - 12) : end - 3]
    return bool(re.match(r"\s+\d", after) or _MONTH_CUE.search(before))


def _is_month_march(norm: str, start: int, end: int) -> bool:
    after = norm[end : end + 6]
    before = norm[max(0, start - 12) : start]
    return bool(re.match(r"\s+\d", after) or _MONTH_CUE_MARCH.search(before))


def _at_sentence_start(folded: str, start: int) -> bool:
    """True at the text start or after terminal punctuation / a line break (bullets skipped)."""
    i = start - 1
    while i >= 0 and folded[i] in _SKIP_BACK:
        i -= 1
    return i < 0 or folded[i] in ".!?:;\n"


def _name_facts(folded: str, mask: bytearray, v: Vocab) -> list[Fact]:
    """Runs of capitalised words that are not sentence openers or common words."""
    facts: list[Fact] = []
    tokens = [m for m in _NAME.finditer(folded) if not mask[m.start()]]
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
        keys = tuple("w:" + _strip_possessive(t.group(0).lower()) for t in kept)
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


def _name_word(word: str, v: Vocab) -> bool:
    if len(word) >= 2 and word.isupper():
        return False  # acronyms (CRM, ROI, YES) are not treated as names
    low = _strip_possessive(word.lower())
    return low not in v.not_names and len(low) > 1


def extract(doc: Doc) -> list[Fact]:
    """Facts in a message, with spans into its body."""
    v = vocab()
    facts, mask = _extract_structured(doc.norm, v)
    facts.extend(_name_facts(doc.folded, mask, v))
    facts.sort(key=lambda f: f.start)
    return facts


@lru_cache(maxsize=512)
def support_keys(corpus: str) -> frozenset[str]:
    """Every key the supporting text can vouch for (words, numbers, times, links...)."""
    v = vocab()
    norm = lower_same_length(fold(corpus))
    keys: set[str] = set()
    for kind, start, end, m in _scan(norm, v):
        text = norm[start:end]
        keys.update(_keys_for(kind, text, m, v))
        if kind == "time" and (hour := re.match(r"\d+", text)):
            keys.add(f"n:{float(hour.group(0))!r}")
        if kind in {"money", "percent", "ordinal", "number"} and (key := _num_key(text)):
            keys.add(key)
    for m in v.corpus_numbers_re.finditer(norm):
        value = _word_number(m.group(0), v)
        if value is not None:
            keys.add(f"n:{value!r}")
    for word in re.findall(r"[\w]+(?:['-][\w]+)*", norm):
        base = _strip_possessive(word)
        keys.add("w:" + base)
        for part in base.split("-"):
            keys.add("w:" + part)
        if base in _MONTH_ABBR:
            keys.add("w:" + _MONTH_ABBR[base])
        if base in _WEEKDAY_ABBR:
            keys.add("w:" + _WEEKDAY_ABBR[base])
        if base.endswith("s") and base[:-1] in _WEEKDAY_SET:
            keys.add("w:" + base[:-1])  # "Thursdays" supports "Thursday"
    return frozenset(keys)


def corpus_of(context: Context | None, original: Message | None) -> str:
    """All the text that can vouch for a fact, joined by line breaks."""
    parts: list[str] = []
    if context is not None:
        parts.extend(_strings(context.model_dump(exclude_none=True)))
        history = context.history
        if history is not None and history.days_since_reply:
            days = history.days_since_reply
            parts.append(f"{days} days")
            if days % 7 == 0:
                parts.append(f"{days // 7} weeks")
    if original is not None:
        parts.extend(p for p in (original.subject, original.body) if p)
    return "\n".join(parts)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [str(value)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def find_invented(doc: Doc, context: Context | None, original: Message | None) -> list[Finding]:
    if context is None and original is None:
        return []
    lex: Lexicon = lexicons()["invented_fact"]
    support = support_keys(corpus_of(context, original))
    out: list[Finding] = []
    for fact in extract(doc):
        if fact.kind == "name":
            ok = all(k in support for k in fact.keys)
        else:
            ok = any(k in support for k in fact.keys)
        if not ok:
            excerpt = doc.raw[fact.start : fact.end]
            msg = (
                f"\u201c{excerpt}\u201d is in neither the context nor the original draft: {_ADVICE}"
            )
            out.append(make_finding(lex, doc, fact.start, fact.end, msg))
    return out
