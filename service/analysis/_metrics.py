"""Metrics: words, sentences, questions, reading grade and the you/me ratio.

The reading grade is the Flesch-Kincaid grade computed here with a
vowel-group syllable estimate: textstat's version loads a pronunciation
dictionary (and tries to download it), far too slow for per-keystroke use.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache

from service.analysis._text import Doc
from service.budget import LengthBudget
from service.models import BudgetInfo, Metrics

YOU_WORDS = frozenset(
    {
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "you're",
        "you've",
        "you'll",
        "you'd",
        "ya",
        "y'all",
    }
)
ME_WORDS = frozenset(
    {
        "i",
        "me",
        "my",
        "mine",
        "myself",
        "we",
        "us",
        "our",
        "ours",
        "ourselves",
        "i'm",
        "i've",
        "i'll",
        "i'd",
        "we're",
        "we've",
        "we'll",
        "we'd",
        "let's",
    }
)
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_QUESTION = re.compile(r"\?+")


@lru_cache(maxsize=8192)
def syllables(word: str) -> int:
    """Vowel groups, minus a silent final 'e', at least one per word (cached: words repeat)."""
    w = word.lower()
    count = len(_VOWEL_GROUPS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    return max(1, count)


def you_me_counts(counts: Mapping[str, int]) -> tuple[int, int]:
    """you-words and I/we-words among words counted by `Counter`."""
    you = sum(counts.get(w, 0) for w in YOU_WORDS)
    me = sum(counts.get(w, 0) for w in ME_WORDS)
    return you, me


def you_me_ratio(you: int, me: int) -> float:
    """you-words per I/we-word; with no I/we-words, the you count itself (0 when both are 0)."""
    return round(you / me, 2) if me else float(you)


def compute(doc: Doc, budget: LengthBudget | None = None) -> Metrics:
    words = doc.word_texts()  # lexical tokens, for syllables and pronouns
    # Each distinct word is looked at once (20 KB of text repeats its words).
    counts = Counter(words)
    n_words = doc.word_count()  # budget words, as too_long counts them
    n_sentences = max(1, len(doc.sentences)) if n_words else 0
    questions = len(_QUESTION.findall(doc.folded))
    if n_words:
        syl = sum(syllables(w) * n for w, n in counts.items())
        per_word = syl / len(words) if words else 1.0
        grade = 0.39 * (n_words / n_sentences) + 11.8 * per_word - 15.59
        grade = round(max(0.0, grade), 1)
    else:
        grade = 0.0
    you, me = you_me_counts(counts)
    characters = len(doc.raw.rstrip())
    return Metrics(
        words=n_words,
        sentences=n_sentences,
        questions=questions,
        reading_grade=grade,
        you_me_ratio=you_me_ratio(you, me),
        characters=characters,
        budget=BudgetInfo(max_words=budget.max_words, max_chars=budget.max_chars)
        if budget
        else None,
        within_budget=budget is None
        or (
            (budget.max_words is None or n_words <= budget.max_words)
            and (budget.max_chars is None or characters <= budget.max_chars)
        ),
    )
