"""self_centered: the message is about the sender or the product, not the buyer."""

from __future__ import annotations

import re
from bisect import bisect_left

from service.analysis._matcher import lexicons
from service.analysis._metrics import YOU_WORDS
from service.analysis._patterns import is_negated, lexicon_findings, make_finding
from service.analysis._text import Doc, fold, lower_same_length
from service.models import Context, Finding

_WE_WORDS = frozenset({"we", "us", "our", "ours", "ourselves", "we're", "we've", "we'll", "we'd"})
# "We" meaning "you and I": the conversation we had is not talking about us.
_SHARED_WE = re.compile(
    r"\b(?:(?:when|since|as|after|before|where|until) we\b|we (?:last |both |just )?"
    r"(?:spoke|discussed|met|talked|agreed|chatted|covered|looked|went|walked|sat|shared)\b|"
    r"our (?:last |recent |earlier |first |short |quick )?"
    r"(?:call|conversation|chat|meeting|talk|discussion|exchange|lunch|coffee)s?\b)"
)
_COMPANY_VERBS = (
    r"(?:'s (?:\w+ )?(?:product|platform|team|system|tool|software|solution)s? )?"
    r"(?:is|are|was|has|have|helps|works|offers|provides|lets|can|will|handles|makes|gives|"
    r"delivers|does|was founded|started|grew|serves|supports|includes|comes)\b"
)


def find_self_centered(doc: Doc, context: Context | None = None) -> list[Finding]:
    """Self-promotion phrases, the sender's company as the subject, or we/our dominating.

    The ratio counts "we/our/us" and the company's name, not "I/me": an
    apology ("I think I pushed too hard") is the sender taking responsibility,
    which the honest-reset principle asks for, not talking about the product.
    """
    lex = lexicons()["self_centered"]
    found = lexicon_findings(lex, doc)
    company = _sender_company(context)
    company_hits = 0
    if company and company in doc.norm:
        for start, end in company_spans(doc.norm, company):
            if not is_negated(doc, start):
                found.append(make_finding(lex, doc, start, end))
        company_hits = _count_words(doc.norm, company)
    limits = lex.file.limits
    words = doc.word_texts()
    you = sum(map(YOU_WORDS.__contains__, words))
    we = sum(map(_WE_WORDS.__contains__, words)) + company_hits
    if we >= limits["min_self_words"]:
        # Shared "we" only lowers the count, so it is looked for only when the count
        # would be enough without it (the pattern is tried at every word of 20 KB).
        shared = len(_SHARED_WE.findall(doc.norm))  # "when we spoke", "our last call"
        we = max(0, we - company_hits - shared) + company_hits
    if we >= limits["min_self_words"] and you < we * limits["max_you_per_self"]:
        start, end = _most_self_centered_sentence(doc)
        if not any(f.start < end and start < f.end for f in found):
            message = f"{we} we/our/company mentions against {you} you/your: make it about them."
            found.append(make_finding(lex, doc, start, end, message))
    return found


_WE_AFTER = re.compile(r",? we\b")
_VERB_AFTER = re.compile(r"(?![\w])\s*+" + _COMPANY_VERBS)  # verbs start with a letter


def company_spans(text: str, company: str) -> list[tuple[int, int]]:
    r"""The sender's company as the subject of a sentence ("Acme is...", "at Acme we..."):
    the spans `re.finditer` gives for
    `(?<![\w])(?:(?:at|here at) NAME,? we\b|NAME(?![\w])\s*VERBS)` (NAME escaped),
    without compiling that regex for each company (a typing user's first snapshot paid
    ~1 ms for it). A match can only start at an occurrence of the name, or "at " /
    "here at " before one: those positions are tried in order with the same
    alternatives, leftmost first, non-overlapping.
    """
    starts: set[int] = set()
    i = text.find(company)
    while i >= 0:
        starts.update((i, i - 3, i - 8))
        i = text.find(company, i + 1)
    out: list[tuple[int, int]] = []
    cursor = 0
    for p in sorted(starts):
        if p < cursor or p < 0 or (p and _is_word_char(text[p - 1])):
            continue
        end = _company_match_end(text, company, p)
        if end is not None:
            out.append((p, end))
            cursor = end
    return out


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # the regex engine's \w on str


def _company_match_end(text: str, company: str, p: int) -> int | None:
    for lead in ("at ", "here at "):
        if text.startswith(lead + company, p):
            we = _WE_AFTER.match(text, p + len(lead) + len(company))
            if we is not None:
                return we.end()
    if text.startswith(company, p):
        verb = _VERB_AFTER.match(text, p + len(company))
        if verb is not None:
            return verb.end()
    return None


# A company name is a few words. A longer `sender.company` (the field takes 2,000
# characters) is not looked for: each occurrence is compared in full, and a periodic
# one ("a a a ...") occurs at every other character of a 20,000-character draft.
MAX_COMPANY_CHARS = 100


def _sender_company(context: Context | None) -> str:
    """The sender's company as the analyzer looks for it; "" when there is none to find.

    A CRM's placeholder for an unknown company ("-", "n/a" is a word, "." is not) has
    no letter or digit: it would make every dash of the draft a self-mention.
    """
    if context is None or context.sender is None or not context.sender.company:
        return ""
    company = lower_same_length(fold(context.sender.company.strip()))
    if len(company) > MAX_COMPANY_CHARS or not any(ch.isalnum() for ch in company):
        return ""
    return company


def _count_words(text: str, company: str) -> int:
    """Occurrences of `company` as a whole word or words: "ai" is not in "said"."""
    count = 0
    i = text.find(company)
    while i >= 0:
        end = i + len(company)
        if not (i and _is_word_char(text[i - 1])) and not (
            end < len(text) and _is_word_char(text[end])
        ):
            count += 1
            i = text.find(company, end)
        else:
            i = text.find(company, i + 1)
    return count


def _most_self_centered_sentence(doc: Doc) -> tuple[int, int]:
    if not doc.sentences:
        return (0, len(doc.raw))
    best, best_score = doc.sentences[0], -1
    spans = doc.words
    starts = [s for s, _ in spans]
    for start, end in doc.sentences:
        first, last = bisect_left(starts, start), bisect_left(starts, end)
        words = [doc.norm[s:e] for s, e in spans[first:last]]
        score = sum(1 for w in words if w in _WE_WORDS) - sum(1 for w in words if w in YOU_WORDS)
        if score > best_score:
            best, best_score = (start, end), score
    return best
