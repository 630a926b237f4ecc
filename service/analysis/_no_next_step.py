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
# Words are separated by whitespace: more than _SIGN_OFF_MAX_WORDS of them need at
# least this many characters, so shorter sentences are skipped without counting.
_MIN_CONTENT_CHARS = 2 * _SIGN_OFF_MAX_WORDS + 1


def _last_content_sentence(doc: Doc) -> tuple[int, int]:
    """The last sentence that is not a short sign-off ("Best, Chris")."""
    word_starts: list[int] | None = None
    for start, end in reversed(doc.sentences):
        if end - start < _MIN_CONTENT_CHARS:
            continue  # too short to hold that many words: "Best," "🙌 A"
        if word_starts is None:
            word_starts = [s for s, _ in doc.words]
        n_words = bisect_left(word_starts, end) - bisect_left(word_starts, start)
        if n_words > _SIGN_OFF_MAX_WORDS:
            return start, end
    return doc.sentences[-1]
