"""Names in a message: runs of capitalised words that are not sentence openers or
common words (the `name` facts of _fact_extract.py).
"""

from __future__ import annotations

import re
from functools import lru_cache

from service.analysis._fact_keys import SKIP_BACK, Fact, Vocab


def _at_sentence_start(folded: str, start: int) -> bool:
    """True at the text start or after terminal punctuation / a line break (bullets skipped)."""
    i = start - 1
    while i >= 0 and folded[i] in SKIP_BACK:
        i -= 1
    # An emoji ends a sentence too: "here I am 🙂 Want the checklist?"
    return i < 0 or folded[i] in ".!?:;\n" or ord(folded[i]) >= 0x2600


def name_facts(folded: str, names: list[re.Match[str]], mask: bytearray, v: Vocab) -> list[Fact]:
    """Runs of capitalised words (`names`: the NAME matches) that are not sentence
    openers or common words.
    """
    facts: list[Fact] = []
    tokens = [m for m in names if not mask[m.start()]]
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
            for part in strip_possessive(t.group(0).lower()).split("-")
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


def strip_possessive(word: str) -> str:
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
    low = _CONTRACTION.sub("", strip_possessive(word.lower()))  # "You'd"
    return low not in not_names and len(low) > 1
