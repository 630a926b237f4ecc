"""The editor's frame search stays cheap on the largest context fields, with the same answers.

A sender name may be 2,000 characters: every word of it used to be an alternative of the
sign-off search, run at every word of a 20,000-character draft (3 s of CPU for one rewrite
with "Dana " x 400 as the name). `_first_names` now keeps distinct parts (at most
MAX_NAME_PARTS) and the sign-off search starts where a match can start; these tests pin
both against the old search.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from service.editor._parse import MAX_NAME_PARTS, _first_names, find_frame
from tests._dataset import labelled_records


def _old_first_names(names: list[str]) -> list[str]:
    return [
        re.escape(part)
        for name in names
        for part in name.replace(".", " ").split()
        if len(part) > 1 and part[0].isalpha()
    ]


def _old_tail(body: str, names: list[str]) -> int | None:
    known = _old_first_names(names)
    if not known:
        return None
    m = re.search(
        rf"(?<=[\s.!?])[\u2014\u2013-]?\s?(?:{'|'.join(known)})\b[\w .'-]{{0,30}}\s*$", body
    )
    return None if m is None else m.start()


def _new_tail(body: str, names: list[str]) -> int | None:
    """The start `find_frame` uses, reached through the public function: a body with no
    greeting or sign-off block ends at the tail match when there is one."""
    frame = find_frame(body, [], names)
    return None if frame.signoff_start == len(body) else frame.signoff_start


def test_repeated_name_parts_count_once_and_distinct_parts_are_bounded() -> None:
    assert _first_names(["Dana " * 400]) == ["Dana"]
    many = " ".join(f"Name{i}" for i in range(300))
    assert len(_first_names([many])) == MAX_NAME_PARTS
    assert _first_names(["Dr. Priya Raman", "Priya"]) == ["Dr", "Priya", "Raman"]


def test_sign_off_by_name_matches_the_old_search_on_the_dataset() -> None:
    checked = 0
    for record in labelled_records():
        body = record["draft"]["body"]
        sender = ((record.get("context") or {}).get("sender") or {}).get("name")
        if not sender:
            continue
        old = _old_tail(body, [sender])
        frame_old_start = len(body) if old is None else old
        # find_frame only searches when no sign-off block was found first.
        plain = find_frame(body, [], [])
        if plain.signoff_start != len(body):
            continue
        assert find_frame(body, [], [sender]).signoff_start == (
            frame_old_start if old is not None and old > plain.greeting_end else len(body)
        ), record["id"]
        checked += 1
    assert checked > 50


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(["Dana", "Noor", "Lee", "ok", "thanks", "-", ".", "!", "\u2014", "x"]),
        min_size=1,
        max_size=40,
    ),
    spaces=st.lists(st.sampled_from([" ", "  ", "\n", " \n ", ". "]), min_size=1, max_size=40),
    trailing=st.sampled_from(["", " ", "\n\n", "   \n"]),
)
def test_windowed_sign_off_search_equals_the_whole_body_search(
    words: list[str], spaces: list[str], trailing: str
) -> None:
    body = "Any news? " + "".join(w + spaces[i % len(spaces)] for i, w in enumerate(words))
    body = body.rstrip() + trailing
    if find_frame(body, [], []).signoff_start != len(body):
        return  # a closing line was found first; the name search is not reached
    old = _old_tail(body, ["Dana Noor"])
    assert _new_tail(body, ["Dana Noor"]) == (old if old is not None and old > 0 else None)
