"""no_next_step: the message gives the buyer no clear, easy next step."""

from __future__ import annotations

from bisect import bisect_left

from service.analysis._matcher import all_anchors, lexicons
from service.analysis._patterns import is_negated, make_finding
from service.analysis._text import Doc
from service.models import Finding


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
    word_starts = [s for s, _ in doc.words]
    for start, end in reversed(doc.sentences):
        n_words = bisect_left(word_starts, end) - bisect_left(word_starts, start)
        if n_words > _SIGN_OFF_MAX_WORDS:
            return start, end
    return doc.sentences[-1]
