"""A `match` list's hits, found once per message and text, are the hits a fresh scan finds.

`_patterns.match_hits` memoises a list's raw hits on the message's Doc: the
placeholder rule and fact extraction (which masks template slots) both read
the placeholder hits, and on a long message full of candidates one scan costs
milliseconds. The memo must be invisible: the same hits as a plain scan of
the same text, and a different text (fact extraction reads a prefix of a
message past its work budget) is never answered from another text's entry.
"""

from __future__ import annotations

import pytest

from service.analysis._matcher import Compiled, lexicons
from service.analysis._patterns import match_hits
from service.analysis._text import prepare
from tests._dataset import labelled_records

pytestmark = pytest.mark.unit

_MATCH_LISTS = [(rule, lex.match) for rule, lex in sorted(lexicons().items()) if lex.match.entries]


def _bodies() -> list[str]:
    return [record["draft"]["body"] for record in labelled_records()]


BODIES = _bodies()


def test_hits_equal_a_plain_scan_of_the_message_and_of_a_prefix() -> None:
    assert len(BODIES) > 400
    found = 0
    for body in BODIES:
        doc = prepare(body)
        prefix = doc.norm[: len(doc.norm) // 2]
        for _, compiled in _MATCH_LISTS:
            expected = compiled.finditer(doc.norm)
            assert match_hits(compiled, doc) == expected, (compiled, body)
            assert match_hits(compiled, doc, prefix) == compiled.finditer(prefix)
            # Asked again for the whole message after the prefix: still its own hits.
            assert match_hits(compiled, doc) == expected
            found += len(expected)
    assert found > 100  # real hits were compared, not only empty lists


def test_hits_are_found_once_per_message_and_text() -> None:
    placeholder: Compiled = lexicons()["placeholder"].match
    doc = prepare("Hi [First Name], following up on {{company}}.")
    first = match_hits(placeholder, doc)
    assert first  # the placeholders are found
    assert match_hits(placeholder, doc) is first
    assert match_hits(placeholder, doc, doc.norm[:5] + doc.norm[5:]) is first  # an equal text
    assert match_hits(placeholder, prepare(doc.raw)) is not first  # a new message scans again


def test_a_different_text_is_not_answered_from_the_memo() -> None:
    placeholder: Compiled = lexicons()["placeholder"].match
    doc = prepare("Hi [First Name], following up on {{company}}.")
    whole = match_hits(placeholder, doc)
    cut = match_hits(placeholder, doc, doc.norm[:10])  # "hi [first " : no closing bracket
    assert cut == placeholder.finditer(doc.norm[:10]) == []
    assert len(whole) == 2
