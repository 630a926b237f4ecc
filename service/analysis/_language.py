"""wrong_language: a sentence (or the subject) in another language than the draft.

A rewrite keeps the rep's language. A model that obeys an instruction planted
in another language tends to answer in it ("ÚLTIMA OPORTUNIDAD ..."), so a
language switch with no reason in the trusted text is itself a finding. The
check is cheap and linear: each sentence's words are looked up in small lists
of function words per language (wrong_language.toml), and its letters are
sorted by script. A sentence is in language L when at least `min_hits` of its
words are L's, they make at least `min_share` of its words, and they outnumber
its English ones (or `strong_hits` are, `strong_ratio` times its English
ones, whatever their share); it is in another script when `min_script_letters` of its
letters (and `min_script_share` of them) belong to a script that neither the
draft nor the CRM facts use.

The draft's own language is found the same way over the whole draft (English
when nothing else wins). A sentence in that language, or in English, never
fires: the composer's fallback writes English. Words found in the draft or
the CRM facts (a Spanish company name, "Hola" in the rep's own greeting)
never count. The buyer's messages are no reason to switch language: they are
untrusted, and they are where planted instructions sit.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import filterfalse

from service.analysis._matcher import Lexicon, lexicons
from service.analysis._normalize import clean
from service.analysis._patterns import make_finding
from service.analysis._provenance import trusted_parts
from service.analysis._scope import derived
from service.analysis._text import Doc
from service.models import Context, Finding, Message

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_SENTENCE = re.compile(r"[^.!?\n]+")
_NAMES = {
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "nordic": "Swedish, Danish or Norwegian",
    "pl": "Polish",
    "tr": "Turkish",
}


@dataclass(frozen=True, slots=True)
class _Lists:
    english: frozenset[str]
    others: dict[str, frozenset[str]]
    # word -> the indexes (in `others` order) of the languages it belongs to
    index: dict[str, tuple[int, ...]]
    min_hits: int
    min_share: float
    strong_hits: int
    strong_ratio: float
    min_script_letters: int
    min_script_share: float


@cache
def _lexicon() -> Lexicon:
    return lexicons()["wrong_language"]


@cache
def _lists() -> _Lists:
    file = _lexicon().file
    english = frozenset(file.words["en"])
    # A word that is also English is no evidence of another language ("a", "no", "per").
    others = {
        lang: frozenset(w for w in words if w not in english and len(w) > 1)
        for lang, words in file.words.items()
        if lang != "en"
    }
    index: dict[str, tuple[int, ...]] = {}
    for i, vocab in enumerate(others.values()):
        for word in vocab:
            index[word] = (*index.get(word, ()), i)
    return _Lists(
        english=english,
        others=others,
        index=index,
        min_hits=int(file.limits["min_hits"]),
        min_share=file.limits["min_share"],
        strong_hits=int(file.limits["strong_hits"]),
        strong_ratio=file.limits["strong_ratio"],
        min_script_letters=int(file.limits["min_script_letters"]),
        min_script_share=file.limits["min_script_share"],
    )


@lru_cache(maxsize=8192)
def _script(ch: str) -> str:
    """The script of a letter ("LATIN", "CYRILLIC", "CJK", "HIRAGANA"...)."""
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def _scripts(text: str) -> set[str]:
    if text.isascii():
        return {"LATIN"}
    return {_script(ch) for ch in set(text) if ch.isalpha() and not ch.isascii()} | {"LATIN"}


def _words(text: str) -> list[str]:
    """The words of `text`, case-folded, curly apostrophes straight.

    ASCII text is lower-cased whole before it is split: lower-casing an ASCII
    letter leaves it a letter, so the words are the same, without a Python
    call per word. Other text is folded word by word: case-folding can turn a
    letter into several characters, one of them not a letter ("\u0130").
    """
    if text.isascii():
        return _WORD.findall(text.lower())
    found = map(str.casefold, _WORD.findall(text))
    if "\u2019" not in text:
        return list(found)
    return [w.replace("\u2019", "'") for w in found]


def _language(words: list[str], lists: _Lists, *, share: float) -> str | None:
    """The non-English language these words are in, if they clearly are."""
    if not words:
        return None
    english = sum(map(lists.english.__contains__, words))
    counts = [0] * len(lists.others)
    for word in filter(lists.index.__contains__, words):  # most words are in no list
        for i in lists.index[word]:
            counts[i] += 1
    # The first language (in file order) with the most hits, as a scan for a strict max.
    best, hits = None, 0
    for lang, n in zip(lists.others, counts, strict=True):
        if n > hits:
            best, hits = lang, n
    if best is None:
        return None
    clear = hits >= lists.min_hits and hits > english and hits >= share * len(words)
    strong = hits >= lists.strong_hits and hits >= lists.strong_ratio * english
    return best if clear or strong else None


def _foreign_script(sentence: str, allowed: frozenset[str], lists: _Lists) -> str | None:
    if sentence.isascii():
        return None  # every script but LATIN needs letters outside ASCII
    # The scripts are looked up per distinct letter, and letters are counted only when
    # some script is not allowed: the guard's draft is its own original, so all the
    # scripts of its text are allowed, and its 20 KB are not read letter by letter.
    distinct = {ch for ch in set(sentence) if ch.isalpha()}
    outside = [ch for ch in distinct if not ch.isascii() and _script(ch) not in allowed]
    if not outside:
        return None
    counts = Counter(sentence)  # one pass (a count per distinct letter is quadratic on CJK)
    per_script: Counter[str] = Counter()
    for ch in outside:
        per_script[_script(ch)] += counts[ch]
    foreign = per_script.total()
    letters = sum(counts[ch] for ch in distinct)
    if foreign < lists.min_script_letters or foreign < lists.min_script_share * letters:
        return None
    (top, most), *rest = per_script.most_common(2)
    if not rest or rest[0][1] < most:
        return top
    # A tie, broken as it always was: the first script with the most letters in a set
    # of them built letter by letter (rare, so the letters are read again here).
    scripts = (_script(ch) for ch in sentence if ch.isalpha() and not ch.isascii())
    return max({s for s in scripts if s not in allowed}, key=per_script.__getitem__)


@lru_cache(maxsize=32)
def _text_words(text: str) -> tuple[str, ...]:
    """The words of one text (a field, or the draft), once per analysis: the guard
    reads the draft again as the original, inside the trusted text.
    """
    return tuple(_words(text))


def _fields_words(fields: tuple[str, ...]) -> list[str]:
    """The words of the fields joined one a line (no word spans a line break)."""
    return [w for field in fields for w in _text_words(field)]


@lru_cache(maxsize=128)
def _draft_language(subject: str, body: str) -> str | None:
    """The draft's own language (None: English or unclear), once per distinct draft."""
    lists = _lists()
    words = _fields_words((clean(subject), clean(body)))
    return _language(words, lists, share=lists.min_share / 2)


@lru_cache(maxsize=128)
def _trusted_profile(fields: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The words and scripts of the trusted text's cleaned fields, once per distinct text."""
    return frozenset(_fields_words(fields)), frozenset(_scripts("\n".join(fields)))


def find_wrong_language(
    doc: Doc, context: Context | None, original: Message | None
) -> list[Finding]:
    """The first sentence in another language or script than the draft (see module doc)."""
    if original is None:
        return []
    lists = _lists()
    known, allowed = derived(
        "wrong_language.trusted",
        context,
        original,
        lambda: _trusted_profile(tuple(clean(p) for p in trusted_parts(context, original))),
    )
    base = _draft_language(original.subject or "", original.body)
    text = doc.raw
    every_word = _text_words(text)  # the whole text is judged last
    # No letter of a script the trusted text lacks: no sentence can be in another script.
    outside = _outside_letters(text, allowed)
    for start, end in [*_suspects(text, every_word, known, outside, lists), (0, len(text))]:
        sentence = text[start:end]
        if outside and (script := _foreign_script(sentence, allowed, lists)):
            what = script.title()
        else:
            found = every_word if end - start == len(text) else _words(sentence)
            words = list(filterfalse(known.__contains__, found))
            lang = _language(words, lists, share=lists.min_share)
            if lang is None or lang == base:
                continue
            what = _NAMES.get(lang, lang)
        left = len(sentence) - len(sentence.lstrip())
        right = len(sentence.rstrip())
        msg = f"This is written in {what}, not in the draft's language; keep the draft's language."
        return [make_finding(_lexicon(), doc, start + left, start + max(left, right), msg)]
    return []


def _outside_letters(text: str, allowed: frozenset[str]) -> frozenset[str]:
    """The distinct letters of `text` whose script is not in `allowed`."""
    if text.isascii():
        return frozenset()
    return frozenset(
        ch for ch in set(text) if ch.isalpha() and not ch.isascii() and _script(ch) not in allowed
    )


def _suspects(
    text: str,
    every_word: Sequence[str],
    known: frozenset[str],
    outside: frozenset[str],
    lists: _Lists,
) -> list[tuple[int, int]]:
    """The sentences that may be in another language or script, in order.

    A sentence needs `min_hits` (or `strong_hits`) words of another language's
    list, or `min_script_letters` letters of a script the draft does not use,
    to be judged so: the others are skipped without being read, which keeps
    20 KB of one-word sentences ("a.b.c.d.") from costing a lookup each (nor
    are the sentences found when no word or letter could make one a suspect).
    """
    vocab = lists.index.keys() - known
    words_hit = not vocab.isdisjoint(every_word)
    if not words_hit and not outside:
        return []
    spans = [(m.start(), m.end()) for m in _SENTENCE.finditer(text)]
    starts = [s for s, _ in spans]
    counts: Counter[int] = Counter()
    need = max(1, min(lists.min_hits, lists.strong_hits))
    if words_hit:
        for m in _WORD.finditer(text):
            if m.group().casefold().replace("\u2019", "'") in vocab:
                counts[bisect_right(starts, m.start()) - 1] += 1
    found = {i for i, n in counts.items() if n >= need}
    if outside:
        letters: Counter[int] = Counter()
        pattern = re.compile("[" + "".join(re.escape(ch) for ch in sorted(outside)) + "]")
        for m in pattern.finditer(text):
            letters[bisect_right(starts, m.start()) - 1] += 1
        found |= {i for i, n in letters.items() if n >= max(1, lists.min_script_letters)}
    return [spans[i] for i in sorted(found) if i >= 0]
