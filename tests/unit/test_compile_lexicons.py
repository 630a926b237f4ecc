"""Start-up compiles every lexicon list, so no request pays for a list's first use."""

from __future__ import annotations

import pytest

from service.analysis import compile_lexicons
from service.analysis._matcher import lexicons

pytestmark = pytest.mark.unit


def test_compile_lexicons_leaves_no_list_to_compile_on_first_use() -> None:
    count = compile_lexicons()
    lists = [
        compiled
        for lex in lexicons().values()
        for compiled in (
            lex.match,
            lex.allow,
            lex.value,
            lex.invite,
            lex.not_support,
            lex.allow_message,
        )
        if compiled.entries
    ]
    assert count == len(lists) > 20
    # Compiled once: a second call hands back the very same pattern objects.
    before = [c.compiled()[0] for c in lists]
    compile_lexicons()
    assert [c.compiled()[0] for c in lists] == before
    assert all(c._regex is not None for c in lists)
