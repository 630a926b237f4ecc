"""Work budgets: how much of a large request the fact checks read (docs/analyzer.md).

Checking facts costs a fixed amount per fact and per supporting sentence, so
20 KB of digit soup ("1!1!1!...", 10,000 numbers) in the body, the original or
the context cost far more than the same length of prose. The budgets below
are far above any real message or context (the labelled dataset's largest use
a few percent of them) and keep every request within the analysis bound of
issue #10. Each one fails closed:

- **Supporting text** (`bound_context`, `bound_original`): the seller's notes,
  then the buyer's messages in order, are read up to `CONTEXT_SENTENCES`
  sentence breaks and `CONTEXT_NUMBERS` digit groups in all; the original up
  to `ORIGINAL_NUMBERS` digit groups. Text past the cut vouches for nothing,
  so a fact found only there is reported as invented (it is never accepted).
- **The message** (`fact_cut`): facts are checked up to `MESSAGE_FACTS`
  candidate facts (digit groups and capitalised words) and `MESSAGE_CONTACTS`
  e-mail addresses and links; the rest of the message is one
  `invented_fact` finding of its own ("too many figures and names to
  check"), which blocks a rewrite as any invented fact does.
- **The original** also stops at `ORIGINAL_CONTACTS` e-mail addresses and
  links (read on its normalised, lower-cased text, as the fact checks read it)
  and at `ORIGINAL_FACTS` digit groups and capitalised words.

Each cut is found by one regex pass that stops at the budget, so finding it is
linear and bounded too.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice

from service.analysis._addresses import EMAIL, URL
from service.analysis._fact_keys import URL_HINT
from service.analysis._normalize import normalise
from service.analysis._text import lower_same_length
from service.models import Context, Message

CONTEXT_SENTENCES = 300
CONTEXT_NUMBERS = 600
ORIGINAL_NUMBERS = 600
MESSAGE_FACTS = 300
# Addresses and links (no digit or capital needed, so MESSAGE_FACTS does not count
# them): 20 KB holds ~2,900 "x@y.co", each a fact to key and look up (~25 ms).
MESSAGE_CONTACTS = 600
ORIGINAL_CONTACTS = 300
# Capitalised words (names) cost a key each too: "🙌 A" x 6,700 in an original
# cost ~10 ms of support keys. Digit groups count here as well (as in MESSAGE_FACTS).
ORIGINAL_FACTS = 1_200

Spans = list[tuple[int, int]]

_NUMBER = re.compile(r"\d+")
_SENTENCE_BREAK = re.compile(r"[.!?\n]+")
# What may start a fact: a digit group, or a capitalised word (a name). Written as
# `\d+|[A-Z\u00c0-\u00de][^\W\d_]*` with the first character taken out in front
# (the two sets do not meet), so the engine jumps between candidate characters.
_FACT_START = re.compile(r"[\dA-Z\u00c0-\u00de](?:(?<=\d)\d*|[^\W\d_]*)")


def _nth_start(pattern: re.Pattern[str], text: str, n: int) -> int | None:
    """Where the (n+1)-th match starts, or None when there are at most n (reads at most n+1)."""
    if n < 0:
        return 0
    for m in islice(pattern.finditer(text), n, n + 1):
        return m.start()
    return None


def _count(pattern: re.Pattern[str], text: str, limit: int) -> int:
    """Matches in `text`, counting at most `limit + 1`."""
    return sum(1 for _ in islice(pattern.finditer(text), limit + 1))


def cut(text: str, numbers: int, sentences: int | None = None) -> int | None:
    """Where `text` passes the budget (None: it fits).

    The cut is the start of the first digit group (or sentence break) over
    the budget, moved back to the last whitespace before it so no token is
    split.
    """
    ends = [_nth_start(_NUMBER, text, numbers)]
    if sentences is not None:
        ends.append(_nth_start(_SENTENCE_BREAK, text, sentences))
    found = [e for e in ends if e is not None]
    if not found:
        return None
    end = min(found)
    space = max(text.rfind(" ", 0, end), text.rfind("\n", 0, end))
    return space if space > 0 else end


def bound_context(context: Context | None) -> Context | None:
    """The context with its untrusted texts cut at the shared budget (see module doc)."""
    if context is None or (not context.notes and not context.prospect_messages):
        return context
    cut_texts = _context_cuts(context.notes or "", tuple(context.prospect_messages))
    if cut_texts is None:
        return context
    notes, messages = cut_texts[0], [m for m in cut_texts[1:] if m.strip()]
    return context.model_copy(
        update={
            "notes": notes if context.notes is not None else None,
            "prospect_messages": messages,
        }
    )


# The cuts depend only on the texts, which come back with every snapshot a typing
# user sends and with each analysis of a rewrite: kept by content (bounded), and
# emptied with the other text caches (_caches.py).
@lru_cache(maxsize=256)
def _context_cuts(notes: str, messages: tuple[str, ...]) -> tuple[str, ...] | None:
    """The notes and messages as the budget leaves them, or None when all fit."""
    numbers, sentences = CONTEXT_NUMBERS, CONTEXT_SENTENCES
    out: list[str] = []
    changed = False
    for text in (notes, *messages):
        at = cut(text, numbers, sentences) if numbers >= 0 and sentences >= 0 else 0
        if at is not None:
            text, changed = text[:at], True
        numbers -= _count(_NUMBER, text, numbers)
        sentences -= _count(_SENTENCE_BREAK, text, sentences)
        out.append(text)
    return tuple(out) if changed else None


def bound_original(original: Message | None) -> Message | None:
    """The original cut after `ORIGINAL_NUMBERS` digit groups (see module doc)."""
    if original is None:
        return None
    at = original_cut(original.body)
    if at is None:
        return original
    return original.model_copy(update={"body": original.body[:at]})


@lru_cache(maxsize=256)
def original_cut(body: str) -> int | None:
    """Where an original's body passes its budgets (None: it fits); kept by content."""
    cuts = (cut(body, ORIGINAL_NUMBERS), _facts_cut(body), _contact_cut(body))
    found = [at for at in cuts if at is not None]
    return min(found) if found else None


def _facts_cut(text: str) -> int | None:
    """Where the original passes ORIGINAL_FACTS digit groups and capitalised words."""
    at = _nth_start(_FACT_START, text, ORIGINAL_FACTS)
    if at is None:
        return None
    space = max(text.rfind(" ", 0, at), text.rfind("\n", 0, at))
    return space if space > 0 else at


def _contact_cut(text: str) -> int | None:
    """Where the original passes ORIGINAL_CONTACTS addresses and links (None: it fits)."""
    norm = normalise(text)  # once per analysis: the trusted text reuses it
    at = _nth_contact(contacts(lower_same_length(norm.text)), ORIGINAL_CONTACTS)
    if at is None:
        return None
    raw = norm.span(at, at + 1)[0]
    space = max(text.rfind(" ", 0, raw), text.rfind("\n", 0, raw))
    return space if space > 0 else raw


def contacts(low: str) -> tuple[Spans, Spans]:
    """The e-mail addresses and the links of a lower-cased text (match spans).

    The message's fact scan (_fact_extract._scan) needs the same two lists:
    it takes them from here rather than search the text twice.
    """
    emails = [m.span() for m in EMAIL.finditer(low)] if "@" in low else []
    urls = [m.span() for m in URL.finditer(low)] if URL_HINT.search(low) else []
    return emails, urls


def _nth_contact(found: tuple[Spans, Spans], n: int) -> int | None:
    """Where the (n+1)-th of a text's `contacts` (addresses and links) starts."""
    emails, urls = found
    if len(emails) + len(urls) <= n:
        return None
    return sorted([start for start, _ in emails] + [start for start, _ in urls])[n]


def fact_cut(norm: str, found: tuple[Spans, Spans] | None = None) -> int | None:
    """Where the message's fact checks stop (None: every fact is checked).

    `found`: the `contacts` of its lower-cased text, when the caller has them.
    """
    ends = (_facts_end(norm), _contacts_end(norm, found))
    found_at = [at for at in ends if at is not None]
    if not found_at:
        return None
    at = min(found_at)
    space = max(norm.rfind(" ", 0, at), norm.rfind("\n", 0, at))
    return space if space > 0 else at


def contacts_cut_first(norm: str) -> bool:
    """True when the message's checks stop at MESSAGE_CONTACTS, not MESSAGE_FACTS."""
    contacts = _contacts_end(norm)
    facts = _facts_end(norm)
    return contacts is not None and (facts is None or contacts < facts)


def _facts_end(norm: str) -> int | None:
    return _nth_start(_FACT_START, norm, MESSAGE_FACTS)


def _contacts_end(norm: str, found: tuple[Spans, Spans] | None = None) -> int | None:
    return _nth_contact(
        found if found is not None else contacts(lower_same_length(norm)), MESSAGE_CONTACTS
    )
