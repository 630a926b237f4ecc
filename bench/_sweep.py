"""Every module-level compiled pattern of `service/`, searched over 20 KB runs.

A pattern that backtracks re-reads a long run from each of its characters:
quadratic inside the regex engine, where neither a character count nor a line
count sees it (tests/unit/test_analysis_bounded.py), and on shapes no family of
`bench/_adversarial.py` thought of ("a.a.a..." + " x.com" took 13 s in the
editor's link finder). So each pattern is searched (`finditer`, to the end)
over runs of short units ("a.", "1,", "x@", ...) with a tail that may complete a
match (" x.com", "@b", "%", ...), lower- and upper-cased when they hold letters.
A pattern stops at its first text over `LIMIT_MS` (confirmed best of 3), so a
trap costs the sweep a fraction of a second, not the seconds it costs a server.

Some patterns are never searched over a text: the code only tries them at one
position per call (`.match(text, pos)`), or only inside a wrapper that picks the
positions (see `ALLOWED`). Timing their search would report traps no caller can
reach, so they are listed, with the reason and the call site, and left out of
the row; everything else counts.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, cast

SIZE = 20_000
LIMIT_MS = 50.0

UNITS = (
    "a.", "a-", "a ", "1,", "1.", "1 ", "a@", "@a", "a_", ". ", "- ", "1-", "$1", "1%", "A ",
    "Aa ", "a\n", "\n", " ", ".", "-", "a", "1", "<a", "[a", "(1", "+1", "a'", "'s ", "é", "A.",
    "a,", "1:", "http://a", "www.a", "x.com ", "a/", "=", "#", "*", "!", "?", ",", ";", ":",
    "a b. ", "Hi ", "Dana ", "\t", "_", "~", "aA", "a1", "1a", "a.1", "1.a", "a-1", "%", "&", "|",
)  # fmt: skip
SUFFIXES = ("", " x.com", "@", "@b", "%", "x", ".", " usd", ":", "!")

# Patterns the code never searches over a whole text: name -> (where and how it runs,
# checked by grep; how the sweep times it instead). "match": only ever tried at one
# position per call (`.match(text, pos)`), timed as `.match(text)` on the runs, which
# start at 0. A dotted name: only run behind that linear wrapper, which is timed (to the
# end of its matches) instead. "untimed": an inline call whose text can never be a run
# that traps it (the reason says why). tests/unit/test_bench_sweep.py checks the entries
# against the source. A pattern added to the code is searched like any other.
ALLOWED: dict[str, tuple[str, str]] = {
    "service.analysis._addresses._EMAIL": (
        "analysis/_addresses.py: run only by EMAIL (_Emails.finditer): a plain search"
        " when no local-part run is 64 characters long, else one start per run",
        "service.analysis._addresses.EMAIL.finditer",
    ),
    "service.analysis._addresses._URL": (
        "analysis/_addresses.py: run only by URL (_Urls.finditer): a plain search when"
        " no chain of 16 hyphens, else each scheme and one start per host run",
        "service.analysis._addresses.URL.finditer",
    ),
    "service.editor._items._EMAIL": (
        "editor/_items.py: run only by _emails -> run_matches (service/linear_scan.py),"
        " `.match(text, p)` at one start per local-part run",
        "service.editor._items._emails",
    ),
    "service.editor._items._LINK": (
        "editor/_items.py: run only by _links -> run_matches, `.match(text, p)` at each"
        " scheme and one start per host run",
        "service.editor._items._links",
    ),
    "service.editor._items._MONEY": (
        "editor/_items.py: run only by _money -> run_matches, `.match(text, p)` at each"
        " currency sign and one start per digit run",
        "service.editor._items._money",
    ),
    "service.evals._checks._URL": (
        "evals/_checks.py: run only by links -> run_matches, `.match(text, p)` at each"
        " scheme and one start per host run",
        "service.evals._checks.links",
    ),
    "service.evals._checks._EMAIL": (
        "evals/_checks.py: run only by links -> run_matches, `.match(text, p)` at one"
        " start per local-part run",
        "service.evals._checks.links",
    ),
    "service.evals._judge._SCORE_LINE": (
        "evals/_judge.py: run only by score_lines, `.match(text, line_start)` at the first"
        " line start of each run of non-word characters",
        "service.evals._judge.score_lines",
    ),
    "service.editor._parse._GREETING": (
        "editor/_parse.py find_frame: `_GREETING.match(body)`, at the body's start",
        "match",
    ),
    "service.analysis._self_centered._VERB_AFTER": (
        "analysis/_self_centered.py _company_match_end: `.match(text, p + len(company))`,"
        " right after an occurrence of the sender's company",
        "match",
    ),
    "service.editor._cuts._LEANS_BACK": (
        "editor/_cuts.py _apply: `.match(body, end)`, at the end of each cut sentence",
        "match",
    ),
    "service.editor._cuts._ADDS_ON": (
        "editor/_cuts.py _apply: `.match(body, end)`, at the end of each cut sentence",
        "match",
    ),
    "service.editor._cuts._TURNS_BACK": (
        "editor/_cuts.py _apply: `.match(body, end)`, at the end of each cut sentence",
        "match",
    ),
    "service.editor._edit._INTRO": (
        "editor/_edit.py _add_opener: `.match(body, at)`, where the greeting ends",
        "match",
    ),
    r"service.analysis._fact_keys re.split([\s-]+(out)[\s-]+of[\s-]+)": (
        "analysis/_fact_keys.py keys(), kind 'ratio': splits only a ratio fact's own match"
        " ('nine out of ten'), where 'out of' follows its first run of spaces and hyphens,"
        " so the first try at that run succeeds",
        "untimed",
    ),
}


def module_patterns() -> dict[str, re.Pattern[str]]:
    """Every distinct compiled `str` pattern bound to a name at the top of a service module,
    under the name of the module that defines it (not of one that imports it).
    """
    import service

    found: dict[tuple[str, int], str] = {}
    compiled: dict[str, re.Pattern[str]] = {}
    for info in pkgutil.walk_packages(service.__path__, "service."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        source = _source(module)
        for name, value in vars(module).items():
            if not isinstance(value, re.Pattern) or not isinstance(value.pattern, str):
                continue
            key = (value.pattern, value.flags)
            qualified = f"{module.__name__}.{name}"
            if key not in found or _defines(source, name):
                compiled.pop(found.get(key, ""), None)
                found[key] = qualified
                compiled[qualified] = value
    return dict(sorted(compiled.items()))


# `re.<call>(literal, ...)` inside the code: compiled at each call (from re's cache), not
# bound to a module name, and as able to backtrack. How each call reads its text.
_INLINE_CALLS = {
    "search": "first",
    "match": "match",
    "fullmatch": "match",
    "sub": "search",
    "subn": "search",
    "findall": "search",
    "finditer": "search",
    "split": "search",
}
_FLAG_ARG = {"search": 2, "match": 2, "fullmatch": 2, "findall": 2, "finditer": 2, "split": 3}
_FLAG_ARG.update(sub=4, subn=4)


def inline_patterns() -> dict[str, tuple[re.Pattern[str], str]]:
    """Every `re.search(r"...", ...)`-style call with a literal pattern in service/:
    "module re.call(pattern)" -> (the pattern, how the call reads its text).
    """
    import ast

    import service

    out: dict[str, tuple[re.Pattern[str], str]] = {}
    root = Path(service.__file__).parent
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.func.attr in _INLINE_CALLS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                continue
            call = node.func.attr
            flag = next((k.value for k in node.keywords if k.arg == "flags"), None)
            if flag is None and len(node.args) > _FLAG_ARG[call]:
                flag = node.args[_FLAG_ARG[call]]
            pattern = re.compile(node.args[0].value, _flags(flag))
            out[f"{module} re.{call}({pattern.pattern})"] = (pattern, _INLINE_CALLS[call])
    return out


def _flags(node: Any) -> int:
    """`re.I | re.M` and the like, read from the source (nothing else is evaluated)."""
    import ast

    if node is None:
        return 0
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _flags(node.left) | _flags(node.right)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return int(getattr(re, node.attr))
    raise ValueError(f"flags not read: {ast.dump(node)}")


def _source(module: Any) -> str:
    path = getattr(module, "__file__", None)
    if not path:
        return ""
    with open(path, encoding="utf-8") as f:
        return f.read()


def _defines(source: str, name: str) -> bool:
    return re.search(rf"^{re.escape(name)}\s*(?::[^=\n]*)?=", source, re.MULTILINE) is not None


def texts(size: int = SIZE) -> Iterator[tuple[str, str]]:
    """(label, text): every unit run up to `size` characters with every tail."""
    for unit in UNITS:
        for suffix in SUFFIXES:
            run = (unit * (size // len(unit) + 1))[: size - len(suffix)] + suffix
            label = f"{unit!r} x {size // len(unit)} + {suffix!r}"
            variants = (run, run.lower(), run.upper()) if any(c.isalpha() for c in run) else (run,)
            seen: set[str] = set()
            for case, text in zip(("", " lower", " upper"), variants, strict=False):
                if text not in seen:
                    seen.add(text)
                    yield label + case, text


# One call as the code makes it, to the end of its matches.
Runner = Callable[[str], Iterable[object]]
SCREEN = 2_000  # every text at this size first; the slowest few per pattern go on
RUNGS = (5_000, SIZE)  # ... at these sizes, stopping at the first over LIMIT_MS
PER_PATTERN = 12  # texts per pattern taken past the screen


def _resolve(dotted: str) -> Runner:
    """`service.pkg.module.NAME.attr` -> the attribute (the longest importable module prefix)."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            target = getattr(target, attr)
        return cast(Runner, target)
    raise ImportError(dotted)


def _runner(pattern: re.Pattern[str], how: str) -> Runner:
    """One call as the code makes it: "search" to the last match (`finditer`), "first"
    match (`search`), "match" at the start, or the dotted name of a wrapper to call.
    """
    if how == "search":
        return pattern.finditer
    if how == "first":
        return lambda text: (pattern.search(text),)
    if how == "match":
        return lambda text: (pattern.match(text),)
    return _resolve(how)


def _swept() -> dict[str, tuple[re.Pattern[str], str]]:
    """Every pattern the sweep times, with how (module patterns as ALLOWED says)."""
    found = {
        name: (pattern, ALLOWED[name][1] if name in ALLOWED else "search")
        for name, pattern in module_patterns().items()
    }
    for name, (pattern, how) in inline_patterns().items():
        found[name] = (pattern, ALLOWED[name][1] if name in ALLOWED else how)
    return found


def _ms(run: Runner, text: str) -> float:
    began = time.thread_time_ns()
    for _ in run(text):
        pass
    return (time.thread_time_ns() - began) / 1e6


def _confirmed(run: Runner, text: str) -> float:
    """One timing; one more when over LIMIT_MS (a busy machine only ever adds time)."""
    ms = _ms(run, text)
    return min(ms, _ms(run, text)) if ms > LIMIT_MS else ms


def _slowest(run: Runner, corpus: list[tuple[str, str]]) -> dict[str, Any]:
    """The slowest text for one pattern: every text at SCREEN characters (stopping at one
    over LIMIT_MS), then the PER_PATTERN slowest up the RUNGS. A text over LIMIT_MS at a
    smaller size is reported at that size: at 20 KB it would only be slower.
    """
    screened: list[tuple[float, str, str]] = []
    for label, unit_text in corpus:
        ms = _confirmed(run, unit_text[:SCREEN])
        screened.append((ms, label, unit_text))
        if ms > LIMIT_MS:
            return {"ms": ms, "chars": SCREEN, "text": label}
    screened.sort(key=lambda s: -s[0])
    worst, chars, where = 0.0, SIZE, ""
    for _, label, unit_text in screened[:PER_PATTERN]:
        for size in RUNGS:
            ms = _confirmed(run, unit_text[:size] if size < SIZE else unit_text)
            if ms > LIMIT_MS or size == SIZE:
                if ms > worst:
                    worst, chars, where = ms, size, label
                break
        if worst > LIMIT_MS:
            break
    return {"ms": worst, "chars": chars, "text": where}


def regex_sweep(top: int = 8, repeats: int = 3) -> dict[str, Any]:
    """The slowest call of every pattern over the runs; the `top` slowest best of `repeats`."""
    corpus = list(texts())
    by_label = dict(corpus)
    patterns = _swept()
    stale = sorted(set(ALLOWED) - set(patterns))
    rows: list[dict[str, Any]] = []
    for name, (pattern, how) in patterns.items():
        if how != "untimed":
            rows.append({"pattern": name, "how": how, **_slowest(_runner(pattern, how), corpus)})
    rows.sort(key=lambda r: -float(r["ms"]))
    for row in rows[:top]:
        if float(row["ms"]) > 10 * LIMIT_MS:
            continue  # timed twice already (_confirmed), and no noise makes a trap of it
        text = by_label[row["text"]][: int(row["chars"])]
        run = _runner(*patterns[row["pattern"]])
        row["ms"] = min([float(row["ms"]), *(_ms(run, text) for _ in range(repeats))])
    rows.sort(key=lambda r: -float(r["ms"]))
    for row in rows:
        row["ms"] = round(float(row["ms"]), 2)
    return {
        "patterns": len(patterns),
        "inline": sum(1 for name in patterns if " re." in name),
        "texts": len(corpus),
        "text_chars": SIZE,
        "limit_ms": LIMIT_MS,
        "max_ms": rows[0]["ms"] if rows else 0.0,
        "max_pattern": rows[0]["pattern"] if rows else "",
        "over_limit": [
            {k: r[k] for k in ("pattern", "ms", "chars", "text", "how")}
            for r in rows
            if r["ms"] > LIMIT_MS
        ],
        "slowest": [{**r, "regex": patterns[r["pattern"]][0].pattern[:120]} for r in rows[:top]],
        "allowed": [{"pattern": n, "call": why, "timed": how} for n, (why, how) in ALLOWED.items()],
        "stale_allowed": stale,
    }
