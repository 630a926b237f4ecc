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
# Every _DEFANG alternative needs a bracket, "hxxp", or a spaced dot/hyphen word:
# an ASCII text with none of them is answered by two substring checks and one
# whitespace-anchored search instead of the full pattern at every position.
_DEFANG_CUE = re.compile(r"\s(?:dot|\.|hyphen|dash)\s", re.IGNORECASE)


def _may_be_defanged(text: str) -> bool:
    """False only when _DEFANG cannot match an ASCII `text` (a necessary condition)."""
    return (
        "[" in text
        or "(" in text
        or "{" in text
        or "hxxp" in text.lower()
        or _DEFANG_CUE.search(text) is not None
    )


# "the dot com boom": a spelled-out dot counts only after a word that can be a host.
_NOT_A_HOST = frozenset({"the", "a", "an", "of", "in", "on", "at", "to", "and", "or", "my"})
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


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


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _normalise(text: str) -> Normalised:
    if text.isascii() and (not _may_be_defanged(text) or _DEFANG.search(text) is None):
        return Normalised(text=text, original=text)
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    hidden = _hidden_controls(text)
    growth = 0  # characters the compatibility fold has added so far
    pos = 0
    # ASCII runs are copied whole (they fold to themselves); only the other
    # characters are folded one at a time.
    for run in _NON_ASCII.finditer(text):
        first, stop = run.span()
        chars.append(text[pos:first])
        starts.extend(range(pos, first))
        ends.extend(range(pos + 1, first + 1))
        pos = stop
        for i in range(first, stop):
            ch = text[i]
            if ch in _CONTROLS:
                continue
            folded = _compat(ch)
            if len(folded) > 1:
                if growth + len(folded) - 1 > MAX_GROWTH:
                    folded = ch  # past the growth budget: left as written (see MAX_GROWTH)
                else:
                    growth += len(folded) - 1
            chars.append(folded)
            starts.extend([i] * len(folded))
            ends.extend([i + 1] * len(folded))
    chars.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    folded, lookalike = _fold_lookalikes("".join(chars), starts, ends)
    result = Normalised(
        text=folded, original=text, starts=starts, ends=ends, hidden=hidden, lookalike=lookalike
    )
    _refang(result)
    return result


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
    if all(ch not in _LOOKALIKE_CHARS for ch in text):
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
    for m in _DEFANG.finditer(text):
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
