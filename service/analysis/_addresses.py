"""E-mail addresses and bare hosts in lower-cased text, found in linear time.

`EMAIL` and `URL` behave as the plain patterns `_EMAIL` and `_URL` (same
matches, `finditer` and `sub`); the plain searches are quadratic on some long
runs (docs/analyzer.md, "Bounded work"), which these avoid.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from service.analysis._normalize import TLD_NAMES
from service.linear_scan import run_matches

_TLDS = "(?:" + TLD_NAMES + ")"
_TLD_MAX = max(len(t) for t in TLD_NAMES.split("|"))  # a domain: a whole run of letters
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
_LOCAL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789._%+-"
_LONG_LOCAL_RUN = re.compile(r"(?<![a-z0-9._%+-])[a-z0-9._%+-]{64}")
# The run of local-part characters before an "@": any of its characters may start a match.
_LOCAL_BEFORE_AT = re.compile(r"(?<![a-z0-9._%+-])[a-z0-9._%+-]++(?=@)")
_ANY = re.compile(".", re.DOTALL)


class _Finder:
    """`finditer` (linear time, see the subclasses) and `.sub` built on it, as a compiled
    pattern offers them.
    """

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        raise NotImplementedError

    def sub(self, repl: str, text: str) -> str:
        parts: list[str] = []
        last = 0
        for m in self.finditer(text):
            parts += (text[last : m.start()], repl)
            last = m.end()
        return "".join(parts) + text[last:] if parts else text


class _Emails(_Finder):
    """`_EMAIL.finditer` and `.sub`, the same matches in linear time.

    Searched as a plain pattern, every character of a long run of local-part
    characters with no "@" after it ("x@" + 20,000 dots) starts an attempt that
    reads to the end of the run: quadratic (0.3 s on 20 KB). A match's local
    part is the run of local-part characters ending at its "@", so each "@" is
    tried once, from the start of that run (or from where the search resumes,
    if later), which is where the plain search would find it first
    (`run_matches`, service/linear_scan.py). Texts without such a run (64
    characters or more) take the plain search.
    """

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if _LONG_LOCAL_RUN.search(text) is None:
            yield from _EMAIL.finditer(text)  # each try reads at most 64 characters
            return
        runs = [m.span() for m in _LOCAL_BEFORE_AT.finditer(text)]
        yield from run_matches(_EMAIL, text, fixed=(), runs=runs, first=_ANY)


EMAIL = _Emails()
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"')\]]+|(?<![@\w.])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*"
    rf"\.(?=[a-z]{{2,{_TLD_MAX}}}(?![a-z0-9-])){_TLDS}(?![a-z0-9-])(?:/[^\s<>\"')\]]*)?"
)
# A run with 16 places after a hyphen where a bare host may start ("a-a-a-..."). Tried
# only where a run of hyphens begins, and possessively: `(?:-+[a-z0-9]+){16}` searched
# plainly re-reads a long run of hyphens from each of them (8 s on 20,000 "-" and a
# link). The answer is the same: a chain starting inside a run of hyphens also starts
# at its first hyphen, and giving back a hyphen or a letter can never help the match.
_HYPHEN_CHAIN = re.compile(r"(?<!-)(?:-++[a-z0-9]++){16}")
_SCHEME_AT = re.compile(r"(?=https?://|www\.)")
_HOST_RUN = re.compile(r"[a-z0-9-]+")
# Where a bare host may start inside a run: the first label's first character.
_HOST_START = re.compile(r"(?<![@\w.])[a-z0-9]")


class _Urls(_Finder):
    """`_URL.finditer` and `.sub`, the same matches in linear time.

    A bare host may start after a hyphen, so the plain search tries every
    "-x" of a run of host characters, and each try reads to the end of the
    run ("a-a-a-..." with no ".com" after it: quadratic, 0.65 s on 10 KB).
    Every start inside one run has the same fate (the first label must reach
    the run's end, where the rest of the host has to follow), so past a long
    chain of hyphens only the first possible start of each run (at or after
    where the search resumes) is tried, with every "http://" and "www." start,
    in order (`run_matches`, service/linear_scan.py).
    """

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if _HYPHEN_CHAIN.search(text) is None:
            yield from _URL.finditer(text)  # at most 16 tries per run: linear
            return
        schemes = [m.start() for m in _SCHEME_AT.finditer(text)]
        runs = [m.span() for m in _HOST_RUN.finditer(text)]
        yield from run_matches(_URL, text, fixed=schemes, runs=runs, first=_HOST_START)


URL = _Urls()
