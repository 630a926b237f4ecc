"""Pattern source: how a lexicon entry's phrase or regex becomes the regex that runs.

Word boundaries, flexible whitespace, texting shorthand ("u" for "you") and
the small regex-syntax walker the schema and the matcher both rely on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Wrapped around every pattern so that "leverage" never matches inside "leveraged".
LEFT = r"(?<![0-9a-z\u00c0-\u024f])"
RIGHT = r"(?![0-9a-z\u00c0-\u024f])"
BOUNDARY_CHAR = r"[^0-9a-z\u00c0-\u024f]"


# Texting shorthand a pattern's "you"/"your" also accepts ("did u get my msg").
_TEXTING = (
    ("your", "(?:your|ur)"),
    ("you", "(?:you|u)"),
    ("are", "(?:are|r)"),
    ("weeks", "(?:weeks|wks)"),
    ("week", "(?:week|wk)"),
    ("tomorrow", "(?:tomorrow|tmrw|tmr|2moro)"),
    ("please", "(?:please|pls|plz)"),
    ("with", "(?:with|w/)"),
)


def _texting_form(source: str, i: int) -> tuple[str, str] | None:
    """("you", "(?:you|u)") when a literal word "you"/"your" starts at `i` in a pattern."""
    if i and (source[i - 1].isalnum() or source[i - 1] == "\\"):
        return None
    for word, alternative in _TEXTING:
        end = i + len(word)
        # Not when a quantifier follows: in "weeks?" the "?" belongs to the "s" alone.
        if source.startswith(word, i) and (
            end == len(source) or not (source[end].isalnum() or source[end] in "?*+{")
        ):
            return word, alternative
    return None


def _syntax(source: str) -> Iterator[tuple[int, str, bool]]:
    """(index, character, is_syntax) over a regex: is_syntax is False for an escaped
    character or one inside a [...] class, whose meaning is literal.
    """
    in_class = escaped = False
    for i, ch in enumerate(source):
        if escaped:
            escaped = False
            yield i, ch, False
        elif ch == "\\":
            escaped = True
            yield i, ch, False
        elif in_class:
            in_class = ch != "]"
            yield i, ch, False
        else:
            in_class = ch == "["
            yield i, ch, not in_class


def flexible_spaces(source: str) -> str:
    """A literal space in a pattern matches any run of whitespace; "you" also matches "u".

    Authors write readable patterns ("just checking in"); drafts have double
    spaces and line breaks, and texts say "u"/"ur". Spaces and words inside
    [...] classes and look-behinds (which must stay fixed-width) are left alone.
    """
    source = source.replace("[- ]", "(?:-| )")  # "check-in" / "check  in"
    out: list[str] = []
    groups: list[bool] = []  # one entry per open group: is it a look-behind?
    skip = 0
    for i, ch, syntax in _syntax(source):
        if skip:  # characters already emitted in rewritten form
            skip -= 1
            continue
        if syntax and not any(groups) and (short := _texting_form(source, i)):
            word, alternative = short
            out.append(alternative)
            skip = len(word) - 1
            continue
        if not syntax:
            pass
        elif ch == "(":
            groups.append(source.startswith(("?<=", "?<!"), i + 1))
        elif ch == ")" and groups:
            groups.pop()
        elif ch == "'" and not any(groups) and not source.startswith("?", i + 1):
            out.append("'?")  # "im", "ive", "its": texts drop apostrophes
            continue
        elif ch == " " and not any(groups):
            optional = source.startswith("?", i + 1)
            out.append(r"\s*" if optional else r"\s+")
            skip = 1 if optional else 0
            continue
        out.append(ch)
    return bound_repeats("".join(out))


# The longest run a repeated "any character" (`.*`, `.+`, `.{m,}`) of a lexicon
# pattern may match (docs/analyzer.md, "Bounded work"). No phrase comes near it,
# and "trial .* your schedule" then reads at most this far past each place it is
# tried: unbounded, it read to the end of the line from every "trial" and back
# (quadratic: 36 ms for one exemption search over 20 KB of "pilot" phrases).
# Repeats of a class stop at the end of their token or run ("\w+", "\s+", "_{3,}").
MAX_ANY_RUN = 500


def bound_repeats(source: str, limit: int = MAX_ANY_RUN) -> str:
    """`source` with every unbounded repeat of `.` given the upper bound `limit`.

    `.*` becomes `.{0,limit}`, `.+` `.{1,limit}` and `.{m,}` `.{m,limit}`; a
    lazy or possessive suffix (`.*?`, `.++`) is kept.
    """
    out: list[str] = []
    dot = False  # the previous character is an unescaped "."
    skip = 0
    for i, ch, syntax in _syntax(source):
        if skip:
            skip -= 1
            continue
        count = _OPEN_COUNT.match(source, i) if dot and ch == "{" else None
        if dot and ch in "*+":
            out.append(f"{{{0 if ch == '*' else 1},{limit}}}")
        elif count is not None:
            out.append(f"{{{count.group(1) or 0},{limit}}}")
            skip = count.end() - i - 1
        else:
            out.append(ch)
        dot = syntax and ch == "."
    return "".join(out)


_OPEN_COUNT = re.compile(r"\{(\d*),\}")


def top_level_alternatives(source: str) -> list[str]:
    """`source` split at the `|` that are outside groups and classes."""
    parts, depth, start = [], 0, 0
    for i, ch, syntax in _syntax(source):
        if not syntax:
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
    parts.append(source[start:])
    return parts
