r"""`pattern.finditer(text)`, in linear time, for the item patterns that need it.

Searched plainly, a pattern that opens with a long repeat (`\b\d[\d,]*...`,
`[\w.+-]+@...`, a host `a.b.c...` before its top-level domain) re-reads a long run
from each place inside it where a match may start: "1,1,1,...", "a.a.a,..." or a
20,000-character local part without a domain took seconds. Inside such a run every
start has the same fate or a worse one: the run is read to its end whatever the
start, and what must follow is the same. So only the first place a match may start
in each run (at or after where the search resumes) is tried, with the places that
start another branch of the pattern (a scheme, a currency sign) tried as they come.
The matches are those `finditer` gives; tests/unit/test_cpu_traps.py checks them
against it on structured random text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


def run_matches(
    pattern: re.Pattern[str],
    text: str,
    *,
    fixed: Sequence[int],
    runs: Sequence[tuple[int, int]],
    first: re.Pattern[str],
) -> list[re.Match[str]]:
    """Leftmost, non-overlapping matches of `pattern` (none of which is empty).

    `fixed`: sorted positions always tried. `runs`: sorted, disjoint (start, end)
    spans; in each only the first position at or after the resume point where
    `first` matches is tried, and when that fails the rest of the run is skipped.
    Every match must start at a fixed position or inside a run.
    """
    out: list[re.Match[str]] = []
    pos = fi = ri = 0
    while True:
        while fi < len(fixed) and fixed[fi] < pos:
            fi += 1
        candidate: int | None = None
        while ri < len(runs):
            start, end = runs[ri]
            found = first.search(text, max(start, pos), end) if end > pos else None
            if found is not None:
                candidate = found.start()
                break
            ri += 1
        at_fixed = fixed[fi] if fi < len(fixed) else None
        if candidate is None and at_fixed is None:
            return out
        p = min(x for x in (candidate, at_fixed) if x is not None)
        m = pattern.match(text, p)
        if m is not None and m.end() > p:
            out.append(m)
            pos = m.end()
            continue
        if p == candidate:
            ri += 1  # later starts in this run fare no better
        if p == at_fixed:
            fi += 1
