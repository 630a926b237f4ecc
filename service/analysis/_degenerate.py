"""degenerate_text: what a weak or broken model writes instead of a message.

Small models' answers that passed every other rule were, measured: one phrase
repeated twenty times, the prompt's own lines echoed back ("Strategy:
value_nudge", "<body>"), talk about "the buyer" instead of to them, and runs
of junk characters. The lexicon (degenerate_text.toml) holds the echoed
prompt text; this module adds the structural checks, each linear in the text:

- a phrase repeated back to back (`repeat_times` times, `repeat_words` words in
  all), or the same sentence `same_sentence_times` times anywhere;
- a run of junk symbol characters;
- a line or sentence opening with an echoed field label ("Subject: ...");
- third-person talk about the reader ("the buyer wants...", "ask the prospect");
- hidden control characters or look-alike letters inside a word or link
  (found by _normalize.py, reported at their original offsets).
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from collections.abc import Callable
from functools import cache
from itertools import islice

from service.analysis._matcher import Lexicon, lexicons
from service.analysis._normalize import Normalised
from service.analysis._patterns import lexicon_findings, make_finding
from service.analysis._text import Doc
from service.models import Finding

_WORD = re.compile(r"[0-9a-z\u00c0-\u024f']+")
# Symbol characters that make up junk (letters, digits, spaces and common
# sentence punctuation are not junk on their own).
_JUNK_RUN = re.compile(r"[#$%&*+;<=>@\\^_`|~{}\[\]/:;!?.,'\"()\-\ufffd]{6,}")
# A run of one separator character is a rule line or an ellipsis, not junk.
_SEPARATOR = frozenset("-=_*~.")
_MAX_PERIOD = 12  # longest phrase (in words) checked for back-to-back repetition
# Findings reported per check: enough to underline, bounded for adversarial input.
MAX_SPANS = 20


@cache
def _lexicon() -> Lexicon:
    return lexicons()["degenerate_text"]


@cache
def _label_re() -> re.Pattern[str]:
    words = _lexicon().file.words["echo_labels"]
    alt = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    # At a line start, or after a sentence end: "Strategy: x Channel: y" on one line.
    return re.compile(rf"(?:^|\n|[.!?] )[ \t*#>-]*(?:{alt})[ \t]*:(?!//)", re.MULTILINE)


@cache
def _reader_re() -> re.Pattern[str]:
    words = _lexicon().file.words
    nouns = "|".join(re.escape(w) for w in words["reader_nouns"])
    verbs = "|".join(re.escape(w) for w in words["reader_verbs"] if not w.startswith("'"))
    objects = "|".join(re.escape(w) for w in words["reader_objects"])
    return re.compile(
        rf"\b(?:(?:{objects}) the (?:{nouns})\b|the (?:{nouns})(?:'s\b| (?:{verbs})\b)"
        rf"|(?:would|should|could|will|does|did|is|can) the (?:{nouns})\b)"
    )


_YOU = re.compile(r"\b(?:you|your|yours|you're|you've|you'll|you'd)\b")


def _limit(name: str) -> int:
    return int(_lexicon().file.limits[name])


def find_degenerate(doc: Doc) -> list[Finding]:
    """Echoed prompt text, repetition, junk, third-person talk (spans index `doc`)."""
    lex = _lexicon()
    out = lexicon_findings(lex, doc)
    out += _repeated(doc, lex)
    out += _junk(doc, lex)
    out += _labels(doc, lex)
    out += _third_person(doc, lex)
    return out


def hidden_findings(norm: Normalised) -> list[Finding]:
    """Controls and look-alike letters inside words or links, at original offsets."""
    lex = _lexicon().file
    spans = [(s, e, "hidden") for s, e in norm.hidden] + [(s, e, "look") for s, e in norm.lookalike]
    out: list[Finding] = []
    for start, end, kind in _merge(sorted(spans))[:MAX_SPANS]:
        what = (
            "an invisible control character"
            if kind == "hidden"
            else "a look-alike letter from another alphabet"
        )
        out.append(
            Finding(
                rule=lex.id,
                severity=lex.severity,
                principle=lex.principle,
                message=f"This word or link hides {what}; retype it in plain characters.",
                start=start,
                end=end,
                excerpt=norm.original[start:end],
            )
        )
    return out


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Neighbouring spans (within a few characters) become one finding."""
    out: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        if out and start - out[-1][1] <= 3:
            last = out[-1]
            out[-1] = (last[0], max(last[1], end), last[2])
        else:
            out.append((start, end, kind))
    return out


def _repeated(doc: Doc, lex: Lexicon) -> list[Finding]:
    tokens = _WORD.findall(doc.norm)
    times, min_words = _limit("repeat_times"), _limit("repeat_words")
    unequal = _unequal_flags(tokens)
    for period in range(1, min(_MAX_PERIOD, len(tokens) - 1) + 1):  # a period has a pair
        # A phrase of `period` words repeated back to back is a run of equal pairs
        # (tokens[i] == tokens[i + period]); the first run of `needed` of them is the
        # first place where the repeats cover `times` phrases and `min_words` words.
        needed = max(1, period * times - period, min_words - period)
        first = unequal(period).find(bytes(needed))
        if first >= 0:
            last = first + needed - 1 + period  # the run's last word
            spans = _WORD.finditer(doc.norm)  # spans only for the finding
            start = next(islice(spans, first, None)).start()
            end = next(islice(spans, last - first - 1, None)).end()
            msg = "The same words repeat over and over; this is not a message yet."
            return [make_finding(lex, doc, start, end, msg)]
    per_sentence = [_WORD.findall(doc.norm, s, e) for s, e in doc.sentences]
    counts = Counter(
        " ".join(found) for found in per_sentence if len(found) >= _limit("same_sentence_words")
    )
    repeated = {k for k, n in counts.items() if n >= _limit("same_sentence_times")}
    for (s, e), found in zip(doc.sentences, per_sentence, strict=True):
        if " ".join(found) in repeated:
            msg = "The same sentence appears again and again; say it once."
            return [make_finding(lex, doc, s, e, msg)]
    return []


def _unequal_flags(tokens: list[str]) -> Callable[[int], bytes]:
    """For a period p, one byte per i < len(tokens) - p: zero where tokens[i] == tokens[i + p].

    Each word becomes a number (the index of its first occurrence), the numbers
    one big integer, `width` bytes each; shifting it by p numbers and XOR-ing
    leaves a zero number exactly where the words are equal. All of it runs in C
    on the whole text at once: comparing the word lists element by element cost
    ~0.2 ms a period on 10,000 words, 2.5 ms for the 12 periods.
    """
    n = len(tokens)
    first_seen: dict[str, int] = {}
    ids = array("H" if n <= 0xFFFF else "Q", map(first_seen.setdefault, tokens, range(n)))
    width = ids.itemsize
    packed = int.from_bytes(ids.tobytes(), "little")

    def unequal(period: int) -> bytes:
        diff = packed ^ (packed >> (8 * width * period))
        merged = diff
        for byte in range(1, width):
            merged |= diff >> (8 * byte)  # any non-zero byte of a number, in its lowest
        return merged.to_bytes(n * width, "little")[0 : (n - period) * width : width]

    return unequal


def _junk(doc: Doc, lex: Lexicon) -> list[Finding]:
    out: list[Finding] = []
    for m in _JUNK_RUN.finditer(doc.raw):
        run = m.group(0)
        distinct = set(run)
        if len(distinct) == 1 and run[0] in _SEPARATOR:
            continue
        if len(run) >= _limit("junk_run") or (
            len(run) >= _limit("junk_mixed") and len(distinct) >= 3 and not _is_url_tail(doc, m)
        ):
            msg = "A run of junk characters; remove it."
            out.append(make_finding(lex, doc, m.start(), m.end(), msg))
            if len(out) >= MAX_SPANS:
                break
    return out


def _is_url_tail(doc: Doc, m: re.Match[str]) -> bool:
    """'https://' and '?a=1&b=2' carry symbols on purpose."""
    before = doc.norm[max(0, m.start() - 8) : m.start()]
    return "http" in before or "://" in m.group(0)


def _labels(doc: Doc, lex: Lexicon) -> list[Finding]:
    out: list[Finding] = []
    if ":" not in doc.norm:
        return out  # every label ends with a colon: 20 KB without one is not scanned
    for m in _label_re().finditer(doc.norm):
        start = m.start() + len(m.group(0)) - len(m.group(0).lstrip(".!?\n \t*#>-"))
        line_end = doc.norm.find("\n", start)
        end = len(doc.norm) if line_end < 0 else line_end
        msg = "An echoed field line (like 'Subject:' or 'Strategy:'); the message starts after it."
        out.append(make_finding(lex, doc, start, min(end, start + 60), msg))
        if len(out) >= MAX_SPANS:
            break
    return out


@cache
def _reader_needles() -> tuple[str, ...]:
    """Every match of `_reader_re` holds one of these ("the buyer")."""
    return tuple(f"the {noun}" for noun in _lexicon().file.words["reader_nouns"])


def _third_person(doc: Doc, lex: Lexicon) -> list[Finding]:
    if not any(needle in doc.norm for needle in _reader_needles()):
        return []  # a substring test per noun instead of the regex tried at every position
    # The first hits are all that is reported or counted (the count only has to reach
    # `third_person_mentions`): a text made of "ask the buyer" is not read to its end.
    enough_hits = max(MAX_SPANS, _limit("third_person_mentions"))
    hits = list(islice(_reader_re().finditer(doc.norm), enough_hits))
    if not hits:
        return []
    enough = len(hits) >= _limit("third_person_mentions") or not _YOU.search(doc.norm)
    if not enough:
        return []
    msg = "This talks about the reader in the third person; write to them as 'you'."
    return [make_finding(lex, doc, m.start(), m.end(), msg) for m in hits[:MAX_SPANS]]
