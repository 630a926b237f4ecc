"""not_personalized: does the message refer to anything the buyer said or cares about?

Content words (minus stop words and business-generic words, lightly
stemmed) of the message are compared with those of the buyer's goal, the
seller's notes, the prospect's own messages, the agreed next step and the
agreed next step and stage. Names do not count (a greeting with their name or
company is not a reference to their situation), nor does the seller's offer.
One shared word is enough: the rule is a warning and
only catches messages that could have been sent to anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import repeat

from service.analysis._context_memo import by_context
from service.analysis._dispatch import dispatch_compile
from service.analysis._fact_extract import extract, support_keys
from service.analysis._matcher import lexicons
from service.analysis._patterns import make_finding
from service.analysis._text import Doc, fold, lower_same_length
from service.models import Context, Finding

_WORD = re.compile(r"[a-z\u00e0-\u024f][a-z\u00e0-\u024f'-]*")
_WORD_CASED = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'-]*")
_PLURALS = ("ies", "es", "s")
_ENDINGS = ("ing", "ed", "er", "ly")


@dataclass(frozen=True, slots=True)
class _Words:
    ignore: frozenset[str]
    min_len: int
    synonyms: dict[str, str]  # stem -> the stem of its group's first word


@cache
def _words() -> _Words:
    file = lexicons()["not_personalized"].file
    ignore = frozenset(file.words["stop"]) | frozenset(file.words["generic"])
    # "wanted" must not count when "want" is a stop word: compare stems too.
    synonyms: dict[str, str] = {}
    for group in file.words.get("synonyms", []):
        stems = [stem(w) for w in group.lower().split()]
        synonyms.update(dict.fromkeys(stems, stems[0]))
    return _Words(
        ignore=ignore | frozenset(stem(w) for w in ignore),
        min_len=int(file.limits["min_word_length"]),
        synonyms=synonyms,
    )


def stem(word: str) -> str:
    """A light stemmer: enough for 'stores'/'store', 'hiring'/'hire', 'shipped'/'ship'."""
    word = word.strip("'-")
    if word.endswith("'s"):
        word = word[:-2]
    # Two passes so "sellers" -> "seller" -> "sell" meets "selling" -> "sell".
    for suffix in _PLURALS:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    for suffix in _ENDINGS:
        if suffix == "ed" and word.endswith("eed"):
            continue  # "speed", "need", "proceed" are not past tenses
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # shipp -> ship
    elif len(word) > 4 and word.endswith("ll"):
        word = word[:-1]  # travelling/travel, installing/install -> one canonical form
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]  # hire -> hir, hiring -> hir
    return word


@lru_cache(maxsize=256)
def content_stems(text: str, names: frozenset[str] = frozenset()) -> frozenset[str]:
    """Stems of the content words of `text`, synonyms folded to one stem.

    Words in `names` are skipped where they are written as a name (capitalised):
    "Remindly" must not stem to "remind" and meet "reminder calls", and "Dana"
    is no reference; but "adult classes" still counts when the buyer's school is
    "Northside Adult Learning".
    """
    return _folded_stems(fold(text), names)


def _folded_stems(folded: str, names: frozenset[str]) -> frozenset[str]:
    """`content_stems` of a text already folded (`fold` is idempotent)."""
    out: set[str] = set()
    for line in folded.split("\n"):  # a word never spans a line break
        out.update(_line_stems(line, names) if len(line) <= _LINE_CHARS else _stems(line, names))
    return frozenset(out)


_LINE_CHARS = 2_000  # lines kept by _line_stems: at most 4096 x 2 KB


@lru_cache(maxsize=4096)
def _line_stems(line: str, names: frozenset[str]) -> frozenset[str]:
    """The stems of one folded line: a typing user's earlier paragraphs come back
    unchanged with every snapshot, so only the line being typed is read again.
    """
    return _stems(line, names)


def _stems(folded: str, names: frozenset[str]) -> frozenset[str]:
    # Each distinct word once, the union taken in C (a word repeated 10,000 times in
    # 20 KB was 10,000 Python-level set updates).
    distinct = set(_WORD_CASED.findall(folded))
    return frozenset().union(*map(_cased_word_stems, distinct, repeat(names)))


@lru_cache(maxsize=32768)
def _cased_word_stems(word: str, names: frozenset[str]) -> frozenset[str]:
    """What one word as written contributes (a pure function of the word and `names`)."""
    w = lower_same_length(word)
    if w in names and word[:1].isupper():
        return frozenset()
    return _word_stems(w)


@lru_cache(maxsize=16384)
def _word_stems(w: str) -> frozenset[str]:
    """The content stems one lower-cased word contributes (a pure function of the word)."""
    words = _words()
    out = set()
    # "Wi-Fi" is "wifi" as well as its parts (which may be too short to count).
    for part in {*w.split("-"), w.replace("-", "")}:
        if len(part) >= words.min_len and part not in words.ignore:
            stemmed = stem(part)
            if stemmed not in words.ignore:
                out.add(words.synonyms.get(stemmed, stemmed))
    return frozenset(out)


def _reference_text(context: Context) -> str:
    parts: list[str] = []
    if context.goal:
        parts.append(context.goal)
    if context.notes:
        parts.append(context.notes)
    parts.extend(context.prospect_messages)
    if context.history:
        # The stage names the last step ("proposal_sent", "demo_done"): referring
        # to it ("the pilot quote", "the proposal") refers to the last conversation.
        steps = (context.history.agreed_next_step, context.history.stage)
        parts.extend(p.replace("_", " ") for p in steps if p)
    return "\n".join(parts)


def _buyer_text(context: Context) -> str:
    return "\n".join([context.goal or "", context.notes or "", *context.prospect_messages])


def _not_a_reference(context: Context, names: frozenset[str]) -> frozenset[str]:
    """The seller's own offer: using its words does not show we listened.

    An offer word that is also in the buyer's goal stays a reference: the goal
    is theirs ("finish intake in a day" for a seller of intake forms).
    """
    offer = (
        content_stems(context.sender.offer)
        if context.sender and context.sender.offer
        else frozenset()
    )
    # The offer stops counting only where the buyer never used its words: "bank
    # reconciliations are done by hand" makes "the reconciliation project" theirs.
    buyer_words = content_stems(_buyer_text(context), names)
    return offer - buyer_words


def find_not_personalized(
    doc: Doc, context: Context | None, boasts: list[Finding] | None = None
) -> list[Finding]:
    """`boasts` are self_centered findings: their sentences are about us, not the buyer."""
    if context is None:
        return []
    names, theirs = by_context("not_personalized", context, None, lambda: _theirs(context))
    if not theirs:
        return []  # nothing known about the buyer, or nothing of theirs: the rule cannot judge
    if _message_stems(doc, boasts or [], names) & theirs:
        return []
    if _shares_a_fact(doc, context):
        return []
    lex = lexicons()["not_personalized"]
    start, end = _trimmed(doc.raw)
    return [make_finding(lex, doc, start, end)]


def _theirs(context: Context) -> tuple[frozenset[str], frozenset[str]]:
    """The names in the context, and the content stems that refer to the buyer (a pure
    function of the context, so kept by content across calls: see _context_memo.py).
    """
    reference = _reference_text(context)
    if not reference.strip():
        return frozenset(), frozenset()
    names = _name_words(context)
    return names, content_stems(reference, names) - _not_a_reference(context, names)


def _shares_a_fact(doc: Doc, context: Context) -> bool:
    """A distinctive fact the buyer gave, repeated back (their date, time, quarter,
    percentage, amount or link: "a sample run before Q3?" for "before Q3"), refers to
    them even in other words. Names, weekdays and bare counts are too common to count.
    """
    distinctive = [fact for fact in extract(doc) if fact.kind in _DISTINCTIVE]
    if not distinctive:
        return False  # the buyer's text is not read for keys (20 KB of it cost ~3 ms)
    support = support_keys(_buyer_text(context))
    return any(any(k in support for k in fact.keys) for fact in distinctive)


_DISTINCTIVE = frozenset({"date", "time", "quarter", "percent", "money", "url", "email", "phone"})


def _name_words(context: Context) -> frozenset[str]:
    """Words of the people's and companies' names, as they appear in a message."""
    texts: list[str | None] = []
    if context.sender:
        texts += [context.sender.name, context.sender.company]
    if context.prospect:
        texts += [context.prospect.name, context.prospect.company]
    return frozenset(w for t in texts if t for w in _WORD.findall(lower_same_length(fold(t))))


def _message_stems(doc: Doc, boasts: list[Finding], names: frozenset[str]) -> frozenset[str]:
    """Content stems of the message, minus sentences that only boast about the seller.

    "We've processed millions of invoices" uses the buyer's word but is
    self-promotion (the self_centered rule flagged it), not a reference to them.
    A boast that is addressed to them ("moves the needle on scrap across your
    whole line") still refers to their situation, so it counts.
    """
    if not boasts:
        # The whole message: its folded and lowered forms are at hand (folding is one
        # character for one, so blanking an idiom commutes with it: no fold of 20 KB).
        return _folded_stems(_blank(doc.folded, _idiom_spans(doc.norm)), names)
    kept = [
        doc.raw[start:end]
        for start, end in doc.sentences
        if not any(f.start < end and start < f.end for f in boasts)
        or _addresses_them(doc.norm[start:end])
    ]
    return content_stems(_without_idioms("\n".join(kept)), names)


@cache
def _idioms() -> re.Pattern[str]:
    phrases = lexicons()["not_personalized"].file.words.get("idioms", [])
    alternation = "|".join(re.escape(p.lower()).replace(r"\ ", r"\s+") for p in phrases)
    # Matched on the lower-cased text, as a trie: one cheap pass per message.
    return dispatch_compile(rf"(?<![a-z])({alternation or '(?!)'})(?![a-z])", group=1)


def _without_idioms(text: str) -> str:
    """Figures of speech say nothing about the buyer: "get this over the line" is not
    about their stamping line. Their spans are blanked (same length, case kept).
    """
    return _blank(text, _idiom_spans(lower_same_length(fold(text))))


def _idiom_spans(lowered: str) -> list[tuple[int, int]]:
    """The idioms in a folded, lower-cased text."""
    return [m.span() for m in _idioms().finditer(lowered)]


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    parts, last = [], 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(" " * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)


_YOU = re.compile(r"\b(?:you|your|yours|u|ur|urs)\b")


def _addresses_them(sentence: str) -> bool:
    return _YOU.search(sentence) is not None


def _trimmed(text: str) -> tuple[int, int]:
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return (start, end) if end > start else (0, len(text))
