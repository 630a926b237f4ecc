"""Rules that look at the whole message rather than at one phrase."""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache

from service.budget import LengthBudget
from service.models import Context, Finding, Severity

from ._lexicon import Lexicon, all_anchors, lexicons
from ._metrics import YOU_WORDS
from ._patterns import is_negated, lexicon_findings, make_finding, matches
from ._text import Doc, fold, lower_same_length


def find_too_long(doc: Doc, budget: LengthBudget) -> list[Finding]:
    """The span is the text past the limit, so a UI can grey out what to cut."""
    lex = lexicons()["too_long"]
    cut: int | None = None
    reason = ""
    n_words = doc.word_count()
    if budget.max_words is not None and n_words > budget.max_words:
        cut = doc.words[budget.max_words][0]
        reason = f"{n_words} words; the budget is {budget.max_words}."
    if budget.max_chars is not None and len(doc.raw.rstrip()) > budget.max_chars:
        char_cut = budget.max_chars
        if cut is None or char_cut < cut:
            cut = char_cut
            reason = f"{len(doc.raw.rstrip())} characters; the budget is {budget.max_chars}."
    if cut is None:
        return []
    end = len(doc.raw.rstrip())
    if cut >= end:
        cut = 0
    message = f"Too long: {reason} Cut to one bite of value and one question."
    return [make_finding(lex, doc, cut, end, message)]


def find_no_next_step(doc: Doc) -> list[Finding]:
    if "?" in doc.folded or not doc.sentences:
        return []
    lex = lexicons()["no_next_step"]
    for entry, start, _ in lex.invite.finditer(doc.norm, present=doc.present(all_anchors())):
        if not (entry.negatable and is_negated(doc, start)):
            return []
    start, end = _last_content_sentence(doc)
    return [make_finding(lex, doc, start, end)]


_SIGN_OFF_MAX_WORDS = 3


def _last_content_sentence(doc: Doc) -> tuple[int, int]:
    """The last sentence that is not a short sign-off ("Best, Chris")."""
    for start, end in reversed(doc.sentences):
        n_words = sum(1 for s, _ in doc.words if start <= s < end)
        if n_words > _SIGN_OFF_MAX_WORDS:
            return start, end
    return doc.sentences[-1]


def find_empty_check_in(doc: Doc) -> list[Finding]:
    """An error when the message offers nothing else; a warning next to real value."""
    lex = lexicons()["empty_check_in"]
    hits = matches(lex, doc)
    if not hits:
        return []
    has_value = lex.value.search(doc.norm, present=doc.present(all_anchors()))
    if has_value:
        hits = [h for h in hits if not h[0].excused_by_value]
    severity: Severity = "warning" if has_value else "error"
    message = (
        "A check-in phrase next to real value: lead with the value and drop the check-in."
        if has_value
        else lex.file.message
    )
    return [make_finding(lex, doc, s, e, message, severity=severity) for _, s, e in hits]


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
        for m in _company_pattern(company).finditer(doc.norm):
            if not is_negated(doc, m.start()):
                found.append(make_finding(lex, doc, m.start(), m.end()))
        company_hits = doc.norm.count(company)
    limits = lex.file.limits
    words = doc.word_texts()
    you = sum(1 for w in words if w in YOU_WORDS)
    shared = len(_SHARED_WE.findall(doc.norm))  # "when we spoke", "our last call"
    we = max(0, sum(1 for w in words if w in _WE_WORDS) - shared) + company_hits
    if we >= limits["min_self_words"] and you < we * limits["max_you_per_self"]:
        start, end = _most_self_centered_sentence(doc)
        if not any(f.start < end and start < f.end for f in found):
            message = f"{we} we/our/company mentions against {you} you/your: make it about them."
            found.append(make_finding(lex, doc, start, end, message))
    return found


@lru_cache(maxsize=256)
def _company_pattern(company: str) -> re.Pattern[str]:
    """The sender's company as the subject of a sentence ("Acme is...", "at Acme we...")."""
    name = re.escape(company)
    return re.compile(
        r"(?<![\w])(?:(?:at|here at) "
        + name
        + r",? we\b|"
        + name
        + r"(?![\w])\s*"
        + _COMPANY_VERBS
        + ")"
    )


def _sender_company(context: Context | None) -> str:
    if context is None or context.sender is None or not context.sender.company:
        return ""
    return lower_same_length(fold(context.sender.company.strip()))


def _most_self_centered_sentence(doc: Doc) -> tuple[int, int]:
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


def pattern_rule(rule_id: str, doc: Doc) -> list[Finding]:
    lex: Lexicon = lexicons()[rule_id]
    return lexicon_findings(lex, doc)
