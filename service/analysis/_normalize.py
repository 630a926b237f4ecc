"""Normalisation before matching: what a rule sees is what a reader sees.

Attackers (and broken models) hide text from pattern matching with
characters a reader never notices: compatibility forms (fullwidth letters,
ligatures), zero-width and bidirectional control characters, letters from
another script that look Latin ("stockwise" spelt with a Cyrillic "o"), and
defanged links ("evil[.]com", "hxxps://", "evil dot com"). `normalise` undoes
all of that, in this order:

1. compatibility fold (NFKC) of letters, digits, punctuation and spaces, one
   character at a time (symbols such as "™" are left alone; a fold may not
   grow the text by more than `MAX_GROWTH` characters, see below);
2. zero-width and bidi control characters removed;
3. look-alike Cyrillic and Greek letters folded to Latin inside tokens that
   also hold a Latin letter (all-Cyrillic or all-Greek words stay as written);
4. defanged links refanged ("[.]", "(dot)", " dot ", " . ", a spoken "hyphen"
   inside a host, "hxxps", "[at]").

The result may be shorter or longer than the input, so it carries a map from
each character back to the span of the original it came from: every finding
is computed on the normalised text and mapped back, so its offsets still index
the body the client sent. Controls and look-alikes found inside a word or link
are reported (as original spans) for `degenerate_text`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, repeat

# Zero-width characters, the soft hyphen and the word joiner: invisible in text.
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u2061\u2062\u2063\u2064")
# Bidirectional controls: marks, embeddings, overrides and isolates.
_BIDI = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_CONTROLS = _ZERO_WIDTH | _BIDI
# Cyrillic and Greek letters that render like Latin ones (the usual spoofing set).
_LOOKALIKE = str.maketrans(
    {
        # Cyrillic lower case
        "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c",
        "\u0443": "y", "\u0445": "x", "\u0456": "i", "\u0458": "j", "\u0455": "s",
        "\u0501": "d", "\u051b": "q", "\u051d": "w", "\u04bb": "h", "\u0461": "w",
        "\u0475": "v", "\u04cf": "l", "\u0432": "b", "\u043d": "h", "\u0442": "t",
        "\u043c": "m", "\u043a": "k",
        # Cyrillic upper case
        "\u0410": "A", "\u0412": "B", "\u0415": "E", "\u041a": "K", "\u041c": "M",
        "\u041d": "H", "\u041e": "O", "\u0420": "P", "\u0421": "C", "\u0422": "T",
        "\u0425": "X", "\u0423": "Y", "\u0406": "I", "\u0408": "J", "\u0405": "S",
        # Greek lower case
        "\u03bf": "o", "\u03b1": "a", "\u03bd": "v", "\u03c1": "p", "\u03b9": "i",
        "\u03ba": "k", "\u03c4": "t", "\u03c5": "u", "\u03c7": "x", "\u03b5": "e",
        # Greek upper case
        "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0396": "Z", "\u0397": "H",
        "\u0399": "I", "\u039a": "K", "\u039c": "M", "\u039d": "N", "\u039f": "O",
        "\u03a1": "P", "\u03a4": "T", "\u03a5": "Y", "\u03a7": "X",
    }
)  # fmt: skip
_LOOKALIKE_CHARS = frozenset(chr(c) for c in _LOOKALIKE)
# Characters the analyzer's own same-length fold handles (_text.py): left to it.
_KEEP = frozenset("\u2018\u2019\u201a\u201b\u2032\u00b4\u201c\u201d\u201e\u00ab\u00bb\u2026")
_NFKC_CATEGORIES = ("L", "N", "Pd", "Po", "Ps", "Pe", "Zs")

# Top-level domains a bare host may end in ("acme.com", "promo-deals.example").
# Broad on purpose: a link that is not recognised cannot be checked for its
# source. Two-letter ones that are also English words ("it", "in", "at", "be",
# "no", "to", "is", "as", "do", "my", "go", "by") and file extensions ("sh",
# "cc", "ml") are left out: "morning.It" is a typo, not a link.
TLD_NAMES = (
    "com|io|co|net|org|ai|app|dev|us|uk|de|biz|info|ly|me|so|example|test|invalid|xyz|ru|cn"
    "|top|online|site|shop|store|tech|cloud|link|click|email|live|pro|agency|digital|world"
    "|space|website|today|news|fun|life|club|vip|icu|buzz|page|host|network|systems"
    "|solutions|services|support|finance|bank|gg|tv|ca|au|fr|es|nl|se|pl|jp|br|mx|ch|eu|ie"
    "|nz|za|sg|hk|kr|cz|dk|fi|pt|gr|tr|ua|ro|hu|ws|mobi|name|gov|edu|asia|travel|jobs"
    "|tk|ga|cf|gq|su|lt|lv|ee|sk|si|hr|rs|bg|vn|ph|ar|cl|pe|ng|ke|eg|ae|sa|il"
)
_TLD = "(?:" + TLD_NAMES + ")"
# Defanged link parts, each refanged to `_REFANG[kind]`.
_DEFANG = re.compile(
    r"(?P<hxxp>\bh[xX]{2}p(?=s?(?:://|\[:\]//|\[://\])))"
    r"|(?P<dot>(?<=[A-Za-z0-9-])\s?[\[({]\s?(?:\.|dot)\s?[\])}]\s?(?=[A-Za-z0-9-]))"
    r"|(?P<colon>\[:\]//|\[://\])"
    r"|(?P<at>(?<=[A-Za-z0-9._-])\s?[\[({]\s?(?:@|at)\s?[\])}]\s?(?=[A-Za-z0-9-]))"
    r"|(?P<word>(?<=[A-Za-z0-9-])\s(?:dot|DOT|\.)\s(?=" + _TLD + r"(?![A-Za-z0-9-])))"
    # A spoken hyphen inside a host ("route hyphen deals dot example"): only when
    # the next word (at most 63 characters) ends at a dot, written or spoken.
    r"|(?P<hyphen>(?<=[A-Za-z0-9])\s(?:hyphen|dash)\s(?=[A-Za-z0-9-]{1,63}"
    r"(?:\s?[\[({]\s?(?:\.|dot)\s?[\])}]\s?|\s(?:dot|\.)\s|\.)" + _TLD + r"(?![A-Za-z0-9-])))",
    re.IGNORECASE,
)
# What every defanged part holds: "hxxp", a bracket, or a spoken dot or hyphen between
# spaces. Texts without one skip the full pattern, which tries six alternatives at
# every character (2-3 ms on 20 KB).
_DEFANG_HINT = re.compile(r"hxxp|[\[({]|\s(?:dot|\.|hyphen|dash)\s", re.IGNORECASE)
# "the dot com boom": a spelled-out dot counts only after a word that can be a host.
_NOT_A_HOST = frozenset({"the", "a", "an", "of", "in", "on", "at", "to", "and", "or", "my"})
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def _may_be_defanged(text: str) -> bool:
    """False only when _DEFANG cannot match `text` (a necessary condition)."""
    return _DEFANG_HINT.search(text) is not None


def _defanged(text: str) -> bool:
    return _may_be_defanged(text) and _DEFANG.search(text) is not None


def _host_before(text: str, end: int) -> str:
    """The host-like word ending at `end` (a bounded look back, so the pass stays linear)."""
    start = end
    while start > 0 and end - start < 64 and text[start - 1] in _HOST_CHARS:
        start -= 1
    return text[start:end]


@dataclass(slots=True)
class Normalised:
    """A normalised text, the map back to the original, and what was hidden in it."""

    text: str
    original: str
    # starts[i], ends[i]: the span of the original that normalised character i came
    # from. None when the text is the original unchanged.
    starts: list[int] | None = None
    ends: list[int] | None = None
    # Original spans of controls or look-alike letters inside a word or link.
    hidden: list[tuple[int, int]] = field(default_factory=list)
    lookalike: list[tuple[int, int]] = field(default_factory=list)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalised span [start, end)."""
        if self.starts is None or self.ends is None:
            return start, end
        n = len(self.text)
        if start >= n:
            return len(self.original), len(self.original)
        first = self.starts[start]
        last = self.ends[end - 1] if end > start else first
        return first, max(first, last)


def normalise(text: str) -> Normalised:
    """NFKC, controls removed, look-alikes folded, defanged links refanged (see module doc).

    Inside `normalise_scope()` (one `analyze` call) each distinct text is
    normalised once: the guard reads the draft as the original of a rewrite,
    so the same 20 KB would otherwise be normalised again for the trusted
    text and the draft's language. The result must not be mutated.
    """
    memo = _MEMO.get()
    if memo is None:
        return _normalise(text)
    found = memo.get(text)
    if found is None:
        found = _normalise(text)
        if len(memo) < MAX_MEMO:
            memo[text] = found
    return found


# Texts one analysis normalises: the body, the trusted text's fields, the context's.
MAX_MEMO = 128
_MEMO: ContextVar[dict[str, Normalised] | None] = ContextVar("tactful_normalised", default=None)


@contextmanager
def normalise_scope() -> Iterator[None]:
    """Within this block (one analysis), `normalise` computes each distinct text once."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def _normalise(text: str) -> Normalised:
    if text.isascii() and not _defanged(text):
        return Normalised(text=text, original=text)
    hidden = _hidden_controls(text)
    folded, lengths = _compat_fold(text)
    # Character i of the text became lengths[i] characters (0: a control removed).
    n = len(text)
    if lengths is None:
        starts, ends = list(range(n)), list(range(1, n + 1))
    else:
        starts = list(chain.from_iterable(map(repeat, range(n), lengths)))
        ends = list(chain.from_iterable(map(repeat, range(1, n + 1), lengths)))
    folded, lookalike = _fold_lookalikes(folded, starts, ends)
    result = Normalised(
        text=folded, original=text, starts=starts, ends=ends, hidden=hidden, lookalike=lookalike
    )
    _refang(result)
    return result


def _compat_fold(text: str) -> tuple[str, bytearray | None]:
    """Steps 1 and 2: the compatibility fold with controls removed, and how many
    characters each character of `text` became (None: one each).

    Each distinct character is folded once and the text is rewritten by
    `str.translate`; only the characters that vanish or grow are visited one by
    one (the growth budget is first come, first served: see MAX_GROWTH).
    """
    folds: dict[str, str] = {}
    for ch in set(text):
        if not ch.isascii():
            folds[ch] = "" if ch in _CONTROLS else _compat(ch)
    table = {ord(ch): f for ch, f in folds.items() if f != ch}
    odd = {ch: f for ch, f in folds.items() if len(f) != 1}
    if not odd:
        return text.translate(table), None
    lengths = bytearray(b"\x01") * len(text)
    growth = 0  # characters the fold has added so far
    kept: list[int] = []  # growing characters that did not fit the budget: left as written
    spent = len(text)  # where the budget ran out: from there no character grows
    positions = [i for i, ch in enumerate(text) if ch in odd]
    for j, i in enumerate(positions):
        size = len(odd[text[i]])
        if size > 1:
            if growth == MAX_GROWTH:
                spent = i
                gone = {ch for ch, f in odd.items() if not f}
                for k in [k for k in positions[j:] if text[k] in gone] if gone else ():
                    lengths[k] = 0
                break
            if growth + size - 1 > MAX_GROWTH:
                kept.append(i)
                continue
            growth += size - 1
        lengths[i] = size
    parts: list[str] = []
    pos = 0
    for i in kept:
        parts += (text[pos:i].translate(table), text[i])
        pos = i + 1
    parts.append(text[pos:spent].translate(table))
    if spent < len(text):
        rest = {k: f for k, f in table.items() if len(f) <= 1}
        parts.append(text[spent:].translate(rest))
    return "".join(parts), lengths


# Bounds on what the fold may add, so normalising can never multiply the text the
# rules read (one Arabic ligature is 18 letters in NFKC): a character whose
# compatibility form is longer than MAX_EXPANSION is left as written, and once
# the fold has added MAX_GROWTH characters to a text the rest is left as written.
# Ligatures ("ﬁ", "ﬃ"), fullwidth and styled letters fold within both bounds.
MAX_EXPANSION = 3
MAX_GROWTH = 1_000


@lru_cache(maxsize=4096)
def _compat(ch: str) -> str:
    if ch in _KEEP or not unicodedata.category(ch).startswith(_NFKC_CATEGORIES):
        return ch
    out = unicodedata.normalize("NFKC", ch)
    if len(out) > MAX_EXPANSION:
        return ch
    return out if out.strip() or ch.isspace() else ch


_CONTROL_RUN = re.compile("[" + "".join(sorted(_CONTROLS)) + "]+")
_BIDI_HIDING = _BIDI - frozenset("\u200e\u200f\u061c")  # embeddings, overrides, isolates


def _hidden_controls(text: str) -> list[tuple[int, int]]:
    """Runs of controls inside a token (linear: each run is looked at once).

    A run counts when the visible characters on both sides are not spaces and
    one of them is a letter or digit ("555\u200b0143", "Load\u200blight"); an
    emoji's zero-width joiner does not (neither side is a letter). A bidi
    embedding, override or isolate at the edge of a token counts too: it
    still reorders what follows.
    """
    out: list[tuple[int, int]] = []
    for m in _CONTROL_RUN.finditer(text):
        start, end = m.span()
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        inside = before and after and not before.isspace() and not after.isspace()
        if inside and (before.isalnum() or after.isalnum()):
            out.append((start, end))
            continue
        edge = after if after and not after.isspace() else before
        if edge.isalnum() and not _BIDI_HIDING.isdisjoint(m.group(0)):
            out.append((start, end))
    return out


_TOKEN = re.compile(r"\S+")
_LATIN = re.compile(r"[A-Za-z]")


def _fold_lookalikes(
    text: str, starts: list[int], ends: list[int]
) -> tuple[str, list[tuple[int, int]]]:
    """Fold look-alike letters in tokens that mix them with Latin letters (1:1, so maps hold)."""
    if _LOOKALIKE_CHARS.isdisjoint(text):
        return text, []
    out = list(text)
    spans: list[tuple[int, int]] = []
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        if not _LATIN.search(token) or _LOOKALIKE_CHARS.isdisjoint(token):
            continue
        for j, ch in enumerate(token, start=m.start()):
            if ch in _LOOKALIKE_CHARS:
                out[j] = ch.translate(_LOOKALIKE)
                spans.append((starts[j], ends[j]))
    return "".join(out), spans


def _refang(n: Normalised) -> None:
    """Replace defanged link parts in place, composing the map."""
    text = n.text
    repl: list[tuple[int, int, str]] = []
    for m in _DEFANG.finditer(text) if _may_be_defanged(text) else ():
        kind = m.lastgroup
        if kind == "hxxp":
            repl.append((m.start(), m.end(), "http"))
        elif kind in {"dot", "word"}:
            if kind == "word" and _host_before(text, m.start()).lower() in _NOT_A_HOST:
                continue
            repl.append((m.start(), m.end(), "."))
        elif kind == "hyphen":
            repl.append((m.start(), m.end(), "-"))
        elif kind == "colon":
            repl.append((m.start(), m.end(), "://"))
        elif kind == "at":
            repl.append((m.start(), m.end(), "@"))
    if not repl:
        return
    starts = n.starts if n.starts is not None else list(range(len(text)))
    ends = n.ends if n.ends is not None else list(range(1, len(text) + 1))
    parts: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    pos = 0
    for a, b, new in repl:
        parts.append(text[pos:a])
        new_starts.extend(starts[pos:a])
        new_ends.extend(ends[pos:a])
        parts.append(new)
        new_starts.extend([starts[a]] * len(new))
        new_ends.extend([ends[b - 1]] * len(new))
        pos = b
    parts.append(text[pos:])
    new_starts.extend(starts[pos:])
    new_ends.extend(ends[pos:])
    n.text = "".join(parts)
    n.starts, n.ends = new_starts, new_ends


def clean(text: str) -> str:
    """The normalised text alone (for supporting text, where offsets do not matter).

    A short text (a name, a company, a goal: the context's fields, which several
    rules read on every call and a typing user sends with every snapshot) is kept
    across calls as its normalised string: a pure function of the text, in a
    bounded table.
    """
    if len(text) <= SHORT_TEXT:
        return _clean_short(text)
    return normalise(text).text


SHORT_TEXT = 256


@lru_cache(maxsize=4096)
def _clean_short(text: str) -> str:
    return normalise(text).text


def clean_fields(*fields: str) -> str:
    """Separate texts (the fields of a request), each normalised on its own, one a line.

    A defanged link is never pieced together across two fields, and each field
    has its own growth budget; within an analysis a field already normalised
    (the draft, read again as the original of its rewrite) is not redone.
    """
    return "\n".join(clean(f) for f in fields)
