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
from dataclasses import dataclass
from functools import cache, lru_cache

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
    return {_script(ch) for ch in set(text) if ch.isalpha() and not ch.isascii()} | {"LATIN"}


def _words(text: str) -> list[str]:
    return [w.casefold().replace("\u2019", "'") for w in _WORD.findall(text)]


def _language(words: list[str], lists: _Lists, *, share: float) -> str | None:
    """The non-English language these words are in, if they clearly are."""
    if not words:
        return None
    english = sum(w in lists.english for w in words)
    counts = [0] * len(lists.others)
    for word in words:
        for i in lists.index.get(word, ()):
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
    letters = [ch for ch in sentence if ch.isalpha()]
    foreign = [s for s in (_script(ch) for ch in letters if not ch.isascii()) if s not in allowed]
    if len(foreign) >= lists.min_script_letters and len(foreign) >= lists.min_script_share * len(
        letters
    ):
        return max(set(foreign), key=foreign.count)
    return None


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
    spans = [(m.start(), m.end()) for m in _SENTENCE.finditer(text)]
    every_word = list(_text_words(text))  # the whole text is judged last
    for start, end in [*_suspects(text, spans, every_word, known, allowed, lists), (0, len(text))]:
        sentence = text[start:end]
        if script := _foreign_script(sentence, allowed, lists):
            what = script.title()
        else:
            found = every_word if end - start == len(text) else _words(sentence)
            words = [w for w in found if w not in known]
            lang = _language(words, lists, share=lists.min_share)
            if lang is None or lang == base:
                continue
            what = _NAMES.get(lang, lang)
        left = len(sentence) - len(sentence.lstrip())
        right = len(sentence.rstrip())
        msg = f"This is written in {what}, not in the draft's language; keep the draft's language."
        return [make_finding(_lexicon(), doc, start + left, start + max(left, right), msg)]
    return []


def _suspects(
    text: str,
    spans: list[tuple[int, int]],
    every_word: list[str],
    known: frozenset[str],
    allowed: frozenset[str],
    lists: _Lists,
) -> list[tuple[int, int]]:
    """The sentences that may be in another language or script, in order.

    A sentence needs `min_hits` (or `strong_hits`) words of another language's
    list, or `min_script_letters` letters of a script the draft does not use,
    to be judged so: the others are skipped without being read, which keeps
    20 KB of one-word sentences ("a.b.c.d.") from costing a lookup each.
    """
    starts = [s for s, _ in spans]
    counts: Counter[int] = Counter()
    need = max(1, min(lists.min_hits, lists.strong_hits))
    vocab = lists.index.keys() - known
    if not vocab.isdisjoint(every_word):
        for m in _WORD.finditer(text):
            if m.group().casefold().replace("\u2019", "'") in vocab:
                counts[bisect_right(starts, m.start()) - 1] += 1
    found = {i for i, n in counts.items() if n >= need}
    foreign = {ch for ch in set(text) if ch.isalpha() and not ch.isascii()}
    foreign = {ch for ch in foreign if _script(ch) not in allowed}
    if foreign:
        letters: Counter[int] = Counter()
        pattern = re.compile("[" + "".join(re.escape(ch) for ch in sorted(foreign)) + "]")
        for m in pattern.finditer(text):
            letters[bisect_right(starts, m.start()) - 1] += 1
        found |= {i for i, n in letters.items() if n >= max(1, lists.min_script_letters)}
    return [spans[i] for i in sorted(found) if i >= 0]
