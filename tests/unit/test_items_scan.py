"""`find_items` skips the patterns a text cannot match and remembers each text: same items.

The reference below runs every pattern on every text, as find_items did
before it learned to skip; the two must agree on the labelled drafts, their
contexts, and random text built from the characters items are made of.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.editor import _items
from service.editor._items import Item, ItemKind, find_items

pytestmark = pytest.mark.unit

_EVALS = Path(__file__).resolve().parents[2] / "evals"


def _reference(text: str) -> list[Item]:
    found: list[Item] = []
    taken: list[tuple[int, int]] = []
    patterns: list[tuple[ItemKind, re.Pattern[str], int]] = [
        ("email", _items._EMAIL, 0),
        ("link", _items._LINK, 0),
        ("phone", _items._PHONE, 7),
        ("money", _items._MONEY, 0),
        ("percent", _items._PERCENT, 0),
        ("figure", _items._FIGURE, 0),
    ]
    for kind, pattern, min_digits in patterns:
        for m in pattern.finditer(text):
            stripped = m.group(0).rstrip(_items._TRAIL)
            start, end = m.start(), m.start() + len(stripped)
            if not stripped or not all(end <= s or start >= e for s, e in taken):
                continue
            if min_digits and sum(c.isdigit() for c in stripped) < min_digits:
                continue
            found.append(Item(kind, stripped, start, end))
            taken.append((start, end))
    found.sort(key=lambda i: i.start)
    return found


def _texts() -> list[str]:
    texts: list[str] = []
    for path in [*sorted((_EVALS / "analyzer").glob("*.jsonl")), _EVALS / "preserve/cases.jsonl"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(line)  # the whole case: draft, context, notes, messages
                case = json.loads(line)
                draft = case.get("draft") or case.get("request", {}).get("draft")
                if isinstance(draft, dict):
                    texts.extend(str(v) for v in draft.values())
    return texts


def test_same_items_as_the_full_scan_on_the_datasets() -> None:
    texts = _texts()
    assert len(texts) > 2000
    with_items = 0
    for text in texts:
        assert find_items(text) == _reference(text)
        with_items += bool(_reference(text))
    assert with_items > 500


_ALPHABET = "ab xyz.,:;/-@$%€()+1234567890wWhtpsHTTP\n" + "comiorgnet"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=80))
def test_same_items_as_the_full_scan_on_random_text(text: str) -> None:
    assert find_items(text) == _reference(text)


def test_callers_get_their_own_list() -> None:
    first = find_items("Call 555-0143 or see acme.com")
    first.clear()
    assert [i.kind for i in find_items("Call 555-0143 or see acme.com")] == ["phone", "link"]
