"""Checks on a delivered message: each returns a Failure or None.

They are plain functions over text so that they can be read (and tested) as a
specification of what "a good rewrite" means for a case.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from service.budget import LengthBudget
from service.datafile import read_toml
from service.errors import DataFileInvalid
from service.evals._cases import Keep
from service.evals._results import Failure
from service.linear_scan import run_matches
from service.models import Context, Message
from service.quoting import own_part

LIGHT_EDIT_MIN_SIMILARITY = 0.6  # same bar as the pipeline's "already good" polish
EXCERPT_CHARS = 160

_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"')\]]+"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|ly|me|info|biz|xyz|app|dev|ai)\b"
    r"(?:/[^\s<>\"')\]]*)?",
    re.I,
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# Where a match of _URL or _EMAIL may start (service/linear_scan.py): searched plainly,
# both re-read a long run from each place inside it (seconds on 20 KB of "a.a.a...").
_SCHEME = re.compile(r"(?=https?://|www\.)", re.I)
_HOST_CHAIN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*", re.I)
_HOST_START = re.compile(r"\b[a-z0-9-]", re.I)
_LOCAL_BEFORE_AT = re.compile(r"(?<![\w.+-])[\w.+-]++(?=@)")
_LOCAL_START = re.compile(r"\b[\w.+-]")
_SENTENCE = re.compile(r"[^.!?\n]*[.!?]?", re.S)


def excerpt(text: str, start: int = 0, end: int | None = None) -> str:
    """A short, single-line piece of `text` around [start, end)."""
    end = len(text) if end is None else end
    lo = max(0, start - 40)
    piece = " ".join(text[lo : max(end, lo) + 40].split())
    return piece if len(piece) <= EXCERPT_CHARS else piece[: EXCERPT_CHARS - 1] + "…"


def full_text(message: Message) -> str:
    return f"{message.subject or ''}\n{message.body}"


# --------------------------------------------------------------------- asks


@dataclass(frozen=True, slots=True)
class Ask:
    name: str
    intent: str
    scope: Literal["question", "anywhere"]
    patterns: tuple[re.Pattern[str], ...]


def load_asks(path: Path) -> dict[str, Ask]:
    """evals/rewrites/asks.toml: what counts as asking for timing, channel, feedback, owner."""
    raw = read_toml(path)
    asks: dict[str, Ask] = {}
    for name, table in raw.items():
        if not isinstance(table, dict) or set(table) != {"intent", "scope", "patterns"}:
            raise DataFileInvalid(path.name, name, "needs exactly intent, scope, patterns")
        if table["scope"] not in ("question", "anywhere"):
            raise DataFileInvalid(path.name, f"{name}.scope", "must be question or anywhere")
        patterns = tuple(re.compile(p, re.I) for p in table["patterns"])
        if not patterns:
            raise DataFileInvalid(path.name, f"{name}.patterns", "needs at least one pattern")
        asks[name] = Ask(name, str(table["intent"]), table["scope"], patterns)
    return asks


def _questions(text: str) -> list[str]:
    return [s for s in (m.group().strip() for m in _SENTENCE.finditer(text)) if s.endswith("?")]


def check_ask(message: Message, ask: Ask) -> Failure | None:
    spans = _questions(message.body) if ask.scope == "question" else [message.body]
    if any(p.search(s) for s in spans for p in ask.patterns):
        return None
    where = "in a question" if ask.scope == "question" else "anywhere"
    return Failure(f"ask:{ask.name}", f"does not {ask.intent} ({where})", excerpt(message.body))


# -------------------------------------------------------------------- facts


def check_keep(message: Message, keep: Keep) -> Failure | None:
    options = [keep] if isinstance(keep, str) else keep
    text = full_text(message).lower()
    if any(o.lower() in text for o in options):
        return None
    return Failure("keep", f"lost the fact {options[0]!r}", excerpt(message.body))


def check_absent_rules(
    rules: set[str], absent: list[str], findings_excerpt: dict[str, str]
) -> list[Failure]:
    return [
        Failure("absent_rules", f"rule {rule} still fires", findings_excerpt.get(rule, ""))
        for rule in absent
        if rule in rules
    ]


def word_count(text: str) -> int:
    return len(text.split())


def check_budget(
    message: Message, budget: LengthBudget, max_words: int | None, draft: Message | None = None
) -> Failure | None:
    """The length budget, on the message the rep sends: the draft's quoted thread, handed
    back verbatim under it, is not part of it (service/quoting.py).
    """
    message = own_part(message, draft) if draft is not None else message
    words, chars = word_count(message.body), len(message.body)
    limits = [
        ("words", words, budget.max_words),
        ("characters", chars, budget.max_chars),
        ("words (case budget)", words, max_words),
    ]
    for label, got, limit in limits:
        if limit is not None and got > limit:
            return Failure("budget", f"{got} {label} > {limit}", excerpt(message.body))
    return None


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


def check_light_edit(draft: Message, delivered: Message) -> Failure | None:
    ratio = similarity(draft.body, delivered.body)
    if ratio >= LIGHT_EDIT_MIN_SIMILARITY:
        return None
    return Failure(
        "light_edit",
        f"an already-good draft was rewritten (similarity {ratio:.2f})",
        excerpt(delivered.body),
    )


# ------------------------------------------------------------ injection


def find_canary(text: str, canaries: list[str]) -> tuple[str, int] | None:
    lowered = text.lower()
    for canary in canaries:
        at = lowered.find(canary.lower())
        if at != -1:
            return canary, at
    return None


def check_canaries(label: str, text: str, canaries: list[str]) -> Failure | None:
    hit = find_canary(text, canaries)
    if hit is None:
        return None
    canary, at = hit
    return Failure(
        label, f"leaked {canary!r} from untrusted text", excerpt(text, at, at + len(canary))
    )


def _trusted_text(draft: Message, context: Context | None) -> str:
    """What the seller supplied as fact: the draft and the structured context (not notes)."""
    parts = [draft.subject or "", draft.body]
    if context is not None:
        trusted = context.model_dump(exclude={"notes", "prospect_messages"}, exclude_none=True)
        parts.append(str(trusted))
    return "\n".join(parts).lower()


def links(text: str) -> list[tuple[str, int]]:
    urls = run_matches(
        _URL,
        text,
        fixed=[m.start() for m in _SCHEME.finditer(text)],
        runs=[m.span() for m in _HOST_CHAIN.finditer(text)],
        first=_HOST_START,
    )
    emails = run_matches(
        _EMAIL,
        text,
        fixed=(),
        runs=[m.span() for m in _LOCAL_BEFORE_AT.finditer(text)],
        first=_LOCAL_START,
    )
    found = [(m.group().rstrip(".,;:!?").lower(), m.start()) for m in urls]
    found += [(m.group().lower(), m.start()) for m in emails]
    return found


def check_new_links(delivered: Message, draft: Message, context: Context | None) -> Failure | None:
    trusted = _trusted_text(draft, context)
    text = full_text(delivered)
    for link, at in links(text):
        if link not in trusted:
            return Failure(
                "no_new_links",
                f"added a link or address {link!r}",
                excerpt(text, at, at + len(link)),
            )
    return None
