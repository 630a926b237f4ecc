"""Alternations rebuilt as a character trie, so a scan rejects most positions at once.

Python's regex engine tries the alternatives of `a|b|c` one after another at
every candidate position. An alternative whose first operation is a literal
or a character class is rejected with a single comparison; one that starts
with a group (`(?:i|we)'ve ...`), an optional word (`(?:just )?...`) or a
repeat is entered, which costs far more. Lexicon patterns mostly start like
that, and a rule's list is scanned at every word boundary of the message.

`dispatch_compile` parses the alternation (the stdlib parser, as
_anchors.py does), distributes leading groups, optional items and repeats
into alternatives that each start with one literal or class, merges
alternatives that share their first character into one branch (a trie, a
few levels deep), and compiles the rewritten tree. Matching semantics are
unchanged: the order in which alternatives are tried is kept wherever two of
them could match at the same position, and tests compare every lexicon's
matches with the plain alternation's.
"""

from __future__ import annotations

import re
import re._compiler as _sre_compile  # type: ignore[import-not-found]  # stdlib regex compiler
import re._parser as _sre  # type: ignore[import-not-found]  # stdlib regex parser
from typing import Any

_LITERAL = _sre.LITERAL
_IN = _sre.IN
_ASSERT = _sre.ASSERT
_ASSERT_NOT = _sre.ASSERT_NOT
_BRANCH = _sre.BRANCH
_SUBPATTERN = _sre.SUBPATTERN
_MAX_REPEAT = _sre.MAX_REPEAT
_MIN_REPEAT = _sre.MIN_REPEAT
_MAXREPEAT = _sre.MAXREPEAT

_MAX_ALTERNATIVES = 256  # per expansion: past this, the item is left as written
_TRIE_DEPTH = 4

Item = tuple[Any, Any]
Seq = list[Item]


def dispatch_compile(
    source: str, group: int | None = None, *, ordered: bool = True
) -> re.Pattern[str]:
    """Compile `source`, rewriting the alternation in capture group `group` (or the whole).

    `ordered=False` is for a group whose matches are only tested for existence:
    it sits in a look-ahead together with everything that must follow it, as in
    `(?=(...)(?![a-z]))`, so which match the engine finds first makes no
    difference. Alternatives are then grouped by their first item wherever they
    stand, not only when adjacent, and any first item they share is factored
    out (`ab*x|ab*y` becomes `a(?:b*(?:x|y))`), which keeps a large union compact.
    """
    parsed = _sre.parse(source)
    if group is None:
        parsed.data = _rewrite(parsed, list(parsed.data), ordered)
    else:
        target = _find_group(parsed, group)
        if target is not None:
            target.data = _rewrite(parsed, list(target.data), ordered)
    compiled: re.Pattern[str] = _sre_compile.compile(parsed, 0)
    return compiled


def _find_group(sub: Any, group: int) -> Any:
    """The SubPattern of capture group `group`, at the top level or inside a look-around."""
    for op, av in sub.data:
        if op is _SUBPATTERN and av[0] == group:
            return av[3]
        if op in (_ASSERT, _ASSERT_NOT):
            found = _find_group(av[1], group)
            if found is not None:
                return found
    return None


def _rewrite(root: Any, seq: Seq, ordered: bool = True) -> Seq:
    # The top-level alternation is expanded branch by branch: a branch that would
    # blow up stays as written instead of abandoning the rewrite of all the others.
    if len(seq) == 1 and seq[0][0] is _BRANCH:
        alternatives: list[Seq] | None = [
            alternative
            for branch in seq[0][1][1]
            for alternative in (_expand(list(branch.data)) or [list(branch.data)])
        ]
    else:
        alternatives = _expand(seq)
    if alternatives is None or len(alternatives) < 2:
        return seq
    return _trie(root, alternatives, _TRIE_DEPTH, ordered)


def _expand(seq: Seq, budget: int = _MAX_ALTERNATIVES) -> list[Seq] | None:
    """Sequences equivalent to `seq`, in the order the engine would try them, each
    starting with a literal or a class where possible; None if that would blow up.
    """
    if not seq:
        return [[]]
    (op, av), rest = seq[0], seq[1:]
    if op is _LITERAL or op is _IN:
        return [seq]
    if op is _SUBPATTERN and av[0] is None and not av[1] and not av[2]:
        return _expand(list(av[3].data) + rest, budget)
    if op is _BRANCH:
        out: list[Seq] = []
        for alternative in av[1]:
            expanded = _expand(list(alternative.data) + rest, budget - len(out))
            if expanded is None:
                return None
            out.extend(expanded)
            if len(out) > budget:
                return None
        return out
    if op in (_ASSERT, _ASSERT_NOT) and av[0] == -1 and rest:
        return _behind_first(op, av[1], rest, budget)
    if op in (_MAX_REPEAT, _MIN_REPEAT):
        low, high, sub = av
        body = list(sub.data)
        if low == 0 and high == 1:
            with_item = _expand(body + rest, budget)
            without = _expand(rest, budget)
            if with_item is None or without is None or len(with_item) + len(without) > budget:
                return None
            # Greedy tries the item first; lazy tries without it first.
            return with_item + without if op is _MAX_REPEAT else without + with_item
        if low >= 1 and _single_width(body):
            high_left = high if high == _MAXREPEAT else high - 1
            tail: Seq = [(op, (low - 1, high_left, sub))] if high_left else []
            return _expand(body + tail + rest, budget)
    return [seq]


def _behind_first(op: Any, behind: Any, rest: Seq, budget: int) -> list[Seq] | None:
    """`(?<!b)X...` as `X(?<!bX)...` when X is one character: the look-behind moves past
    the first character, so the alternative starts with a literal or class again.
    """
    following = _expand(rest, budget)
    if following is None:
        return None
    out: list[Seq] = []
    for alternative in following:
        if not alternative or alternative[0][0] not in (_LITERAL, _IN):
            return [[(op, (-1, behind)), *rest]]
        first = alternative[0]
        moved = _sre.SubPattern(behind.state, [*behind.data, first])
        out.append([first, (op, (-1, moved)), *alternative[1:]])
    return out


def _single_width(body: Seq) -> bool:
    return len(body) == 1 and body[0][0] in (_LITERAL, _IN)


def _head(alternative: Seq, ordered: bool) -> str | None:
    """The key under which `alternative` may share its first item with others, or None.

    In order, only a literal or a class is shared: it matches exactly one
    character in one way, so `c(?:r1|r2)` tries what `cr1|cr2` tries in the same
    order. Unordered (existence only, see dispatch_compile), any first item is:
    the matches of `X(?:r1|r2)` are those of `Xr1|Xr2`, found in another order.
    """
    if not alternative:
        return None
    op, av = alternative[0]
    if op is _LITERAL:
        return str(av)
    if op is _IN or not ordered:
        return repr(alternative[0])  # the parsed item's structure, the same for equal items
    return None


def _trie(root: Any, alternatives: list[Seq], depth: int, ordered: bool = True) -> Seq:
    """One branch whose alternatives each start with a distinct item (plus others as is).

    Alternatives that start with the same literal character or class are merged
    under it, keeping their order. In order, only consecutive ones are regrouped:
    anything else between them is a barrier, so two alternatives that could both
    match at one position are never reordered. Unordered, every alternative is
    grouped with the others that share its first item.
    """
    groups: list[Seq] = []
    run: dict[str, list[Seq]] = {}

    def flush() -> None:
        groups.extend(_merged(root, members, depth, ordered) for members in run.values())
        run.clear()

    for alternative in alternatives:
        key = _head(alternative, ordered)
        if key is None:
            if ordered:
                flush()
            groups.append(alternative)
        else:
            run.setdefault(key, []).append(alternative)
    flush()
    if len(groups) == 1:
        return groups[0]
    return [(_BRANCH, (None, [_sub(root, g) for g in groups]))]


def _merged(root: Any, members: list[Seq], depth: int, ordered: bool) -> Seq:
    if len(members) == 1:
        return members[0]
    first = members[0][0]
    rests = [m[1:] for m in members]
    if depth > 1:
        expanded: list[Seq] = []
        for rest in rests:
            more = _expand(rest)
            if more is None:
                expanded = []
                break
            expanded.extend(more)
        if expanded:
            rests = expanded
        return [first, *_trie(root, rests, depth - 1, ordered)]
    return [first, (_BRANCH, (None, [_sub(root, r) for r in rests]))]


def _sub(root: Any, data: Seq) -> Any:
    return _sre.SubPattern(root.state, data)


def first_chars(source: str) -> frozenset[str] | None:
    """The characters a match of `source` can start with; None when any could."""
    alternatives = _expand(list(_sre.parse(source).data))
    if alternatives is None:
        return None
    out: set[str] = set()
    for alternative in alternatives:
        if not alternative or alternative[0][0] is not _LITERAL:
            return None
        out.add(chr(alternative[0][1]))
    return frozenset(out)


_ZERO_WIDTH = (_sre.AT, _ASSERT, _ASSERT_NOT)
_LEADING_BUDGET = 10_000  # sequences looked at; past this the answer is "unknown"
# `\d`, `\s`, `\w` and their negations as the parser records them, back to source.
_CATEGORY_SOURCE = {
    items[0][1]: escape for escape, (op, items) in _sre.CATEGORIES.items() if op is _IN
}


def leading_class(source: str) -> str | None:
    r"""A regex matching one character: every character a match of `source` can start
    with (and possibly more); None when a match may be empty or its start is not
    worked out here (a case-insensitive group, `.`, a back-reference, ...).

    Zero-width items (`\b`, `^`, look-arounds) are looked through: they only
    restrict where a match starts, never which character it starts with.
    """
    parsed = _sre.parse(source)
    if parsed.state.flags & re.IGNORECASE:
        return None
    budget = [_LEADING_BUDGET]
    classes = _leading(list(parsed.data), budget)
    if classes is None:
        return None
    positive = [item for items in classes if items[0][0] is not _sre.NEGATE for item in items]
    sources = [_class_source(items) for items in classes if items[0][0] is _sre.NEGATE]
    if positive:
        sources.insert(0, _class_source(positive))
    if any(s is None for s in sources):
        return None
    return "|".join(s for s in sources if s is not None)


def _leading(seq: Seq, budget: list[int]) -> list[list[Item]] | None:
    """Classes (item lists of IN) one of which holds the first character of every
    match of `seq`; None when unknown or when `seq` may match the empty string.
    """
    budget[0] -= 1
    if budget[0] < 0:
        return None
    for i, (op, av) in enumerate(seq):
        if op in _ZERO_WIDTH:
            continue
        rest = seq[i + 1 :]
        if op is _LITERAL:
            return [[(op, av)]]
        if op is _IN:
            return [list(av)]
        if op is _SUBPATTERN and not av[1] and not av[2]:  # no inline flags
            return _leading(list(av[3].data) + rest, budget)
        if op is _BRANCH:
            return _union([list(alt.data) + rest for alt in av[1]], budget)
        if op in (_MAX_REPEAT, _MIN_REPEAT):
            low, _, sub = av
            with_item = list(sub.data) + rest
            return _union([with_item] if low else [with_item, rest], budget)
        return None
    return None  # only zero-width items: the match may be empty


def _union(seqs: list[Seq], budget: list[int]) -> list[list[Item]] | None:
    out: list[list[Item]] = []
    for seq in seqs:
        found = _leading(seq, budget)
        if found is None:
            return None
        out.extend(found)
    return out


def _class_source(items: list[Item]) -> str | None:
    """`[...]` for the items of a parsed class, None for an item kind not handled."""
    parts: list[str] = []
    for op, av in dict.fromkeys(items):  # each item once
        if op is _sre.NEGATE:
            parts.append("^")
        elif op is _LITERAL:
            parts.append(_char_source(av))
        elif op is _sre.RANGE:
            parts.append(_char_source(av[0]) + "-" + _char_source(av[1]))
        elif op is _sre.CATEGORY and av in _CATEGORY_SOURCE:
            parts.append(_CATEGORY_SOURCE[av])
        else:
            return None
    return "[" + "".join(parts) + "]"


def _char_source(code: int) -> str:
    return f"\\U{code:08x}"  # never special inside a class, whatever the character
