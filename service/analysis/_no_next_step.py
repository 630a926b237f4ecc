"""no_next_step: the message gives the buyer no clear, easy next step."""

from __future__ import annotations

from itertools import islice

from service.analysis._matcher import all_anchors, lexicons
from service.analysis._patterns import is_negated, make_finding
from service.analysis._text import _BUDGET_WORD, Doc
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
# Words are separated by whitespace: more than _SIGN_OFF_MAX_WORDS of them need at
# least this many characters, so shorter sentences are skipped without counting.
_MIN_CONTENT_CHARS = 2 * _SIGN_OFF_MAX_WORDS + 1


def _last_content_sentence(doc: Doc) -> tuple[int, int]:
    """The last sentence that is not a short sign-off ("Best, Chris")."""
    for start, end in reversed(doc.sentences):
        if end - start < _MIN_CONTENT_CHARS:
            continue  # too short to hold that many words: "Best," "🙌 A"
        # Its budget words (`Doc.words`), counted only up to one past the limit:
        # no budget word spans a sentence end (one is always followed by a space or
        # the end of the text), so they are the matches inside the sentence, and
        # 20 KB of one sentence is not split into 10,000 word spans to count four.
        words = _BUDGET_WORD.finditer(doc.norm, start, end)
        if sum(1 for _ in islice(words, _SIGN_OFF_MAX_WORDS + 1)) > _SIGN_OFF_MAX_WORDS:
            return start, end
    return doc.sentences[-1]
