"""Every cache the analyzer keeps for a whole text or a context, and a way to empty them.

`analyze()` is a pure function of its inputs; these caches only save work when
a text or a context comes back (a typing user sends the same context with
every snapshot; the rewrite path reads the same texts several times). The
bench empties them before each call for its cold numbers, and tests compare
cold and warm results. Per-word caches (anchors in a token, a word's stems as
written, whether a capitalised word is a name, syllables) are left warm: every running
process has them filled within a few requests.
"""

from __future__ import annotations

from service.analysis._bounds import _context_cuts, original_cut
from service.analysis._context_memo import clear as _clear_context_memo
from service.analysis._fact_extract import support_keys
from service.analysis._language import _draft_language, _text_words, _trusted_profile
from service.analysis._normalize import _clean_short
from service.analysis._not_personalized import _line_stems, content_stems
from service.analysis._provenance import private_keys, untrusted_keys


def clear_text_caches() -> None:
    """Empty the caches keyed on a whole text, a context or an original."""
    _clear_context_memo()
    for cached in (
        _clean_short,
        _context_cuts,
        original_cut,
        support_keys,
        _draft_language,
        _text_words,
        _trusted_profile,
        content_stems,
        _line_stems,
        untrusted_keys,
        private_keys,
    ):
        cached.cache_clear()
