"""Cutting at the smallest unit: clauses that stand alone, tidy joins, local fixes.

The editor (`_edit.py`) decides what to cut; this module knows how: a finding's
clause is removed where the rest of its sentence still reads as a sentence
(it opens like one, does not dangle, keeps its question mark), else the whole
sentence goes; buzzwords with a plain swap and fillable template slots are
fixed in place; a sentence that only leaned on a removed one goes with it.
"""

from __future__ import annotations

import re

from service.analysis import name_words
from service.editor._items import find_items
from service.editor._parse import LEVELS, Piece, pieces
from service.editor._tidy import tidy, without_remnants
from service.models import Context, Finding

_NOT_CUT = frozenset({"invented_fact", "too_long", "no_next_step", "not_personalized"})
# A clause or sentence holding one of these is replaced by the strategy's question.
ASK_RULES = frozenset({"pushy_close", "sales_pitch_meeting"})
_SUBORDINATE = re.compile(
    r"(?:if|because|since|as (?:soon|long|far)|when|whenever|unless|although|though|so that"
    r"|now that|given that|seeing as|considering"
    r"|which|who|whom|whose|that|while|until|before|after|once|otherwise|then)\b",
    re.IGNORECASE,
)
# A clause that followed another cannot open a sentence with these.
_NOT_A_START = re.compile(
    r"(?:how|why|what|where|whether|to|about|for|with|in|on|from|by|at|into|of|than|like"
    r"|including|especially|such|all|both|even|which|who)\b",
    re.IGNORECASE,
)
# A clause that followed another must open like a sentence: a pronoun, a determiner, a name.
_CLAUSE_START = re.compile(
    r"(?:(?i:i|you|we|they|he|she|it|this|that|these|those|there|here|our|your|my|their|its"
    r"|the|a|an|one|most|many|some|every|each|no|happy|glad|thanks|please)\b|[A-Z0-9]|https?://)"
)
_LEADING_CONJ = re.compile(r"(?:and|but|so|or|plus|also)\b[,\s]*", re.IGNORECASE)
_DANGLING_END = re.compile(
    r"\b(?:and|or|but|so|to|the|a|an|of|for|with|if|by|at|on|in|your|our|my|that|because|as)\W*$",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"(?:would|could|can|do|does|did|is|are|was|were|will|should|shall|may|might|have|has"
    r"|what|when|how|who|where|which|why|any|want|open|up for|worth)\b",
    re.IGNORECASE,
)
_MAX_ROUNDS = 8
# Warnings the editor still cuts from a draft it rewrites: the pitch and the buzzwords.
_CUT_WARNINGS = frozenset({"self_centered", "jargon", "empty_check_in"})


# What only ever leads into another clause: left alone by a cut ("To be honest, I need
# this signed to hit my number" -> "To be honest."), it says nothing, and goes too.
_LEAD_IN_ONLY = re.compile(
    r"(?:to be (?:honest|frank|fair|clear)|honestly|frankly|in all honesty|truth be told"
    r"|just so you know|fyi|by the way|btw|that said|having said that|anyway|anyhow"
    r"|as (?:discussed|promised|agreed)|as (?:i|we) (?:mentioned|said)"
    r"|i (?:know|realise|realize|understand|get that|appreciate) (?:you're|you are|things are"
    r"|you've been|you have been|things have been"
    r"|it's|it is|your team is|everyone is) (?:really |very |super |so |pretty )?"
    r"(?:busy|swamped|slammed|hectic|crazy|flat out|stretched)"
    r"(?: (?:right now|at the moment|these days|over there|this time of year))?"
    r"|i'm sure (?:you're|you are|things are) (?:really |very |super |so |pretty )?"
    r"(?:busy|swamped|slammed|hectic|crazy)(?: (?:right now|at the moment|these days))?"
    r"|no worries|no pressure|(?:a )?quick (?:note|question|one)|um+|uh+|so|well|okay|ok|look"
    r"|listen|hey|hi|again|also|plus)",
    re.IGNORECASE,
)


def _clean_piece_text(text: str, was_question: bool, is_last: bool, first: bool) -> str | None:
    """A kept clause turned into a sentence of its own, or None when it cannot stand alone."""
    text = text.strip().strip(",;:\u2014\u2013- ")
    text = _LEADING_CONJ.sub("", text, count=1) if _LEADING_CONJ.match(text) else text
    if _LEAD_IN_ONLY.fullmatch(text.rstrip(".!?\u2026 ").replace("\u2019", "'")):
        return None
    if len(re.findall(r"\w+", text)) < 3 or _SUBORDINATE.match(text) or _DANGLING_END.search(text):
        return None
    if not first and (
        _NOT_A_START.match(text) or not _CLAUSE_START.match(text) or not _HAS_VERB.search(text)
    ):
        return None
    if _ROLE_ONLY.fullmatch(text.rstrip(".!?\u2026 ")):
        return None  # "As the owner, you need to make a call." -> not "As the owner."
    body = text.rstrip(".!?\u2026")
    if not body:
        return None
    asks = (was_question and is_last) or bool(_QUESTION_START.match(body))
    # A sentence that still starts where it did keeps its case ("Hi Anita, it's Owen ...").
    head = body[0] if first else body[0].upper()
    return head + body[1:] + ("?" if asks else ".")


# A role a cut clause was addressed to, with nothing left to say to it.
_ROLE_ONLY = re.compile(
    r"as (?:a|an|the|your|our|my|one of the) [\w'\u2019 -]{1,40}", re.IGNORECASE
)


# A list item's marker: "- ", "* ", "\u2022 ", "1. ", "2) ", "a) ".
_LIST_MARKER = re.compile(r"(?:[-*\u2022\u2023\u25e6\u2013]|\d{1,3}[.)]|[a-zA-Z][.)])[ \t]+")


def _sentence_cut(
    body: str, span: tuple[int, int], hits: list[Finding], replacement: str
) -> tuple[int, int, str]:
    """Cut what the findings cover from one sentence: a clause where the rest stands alone.

    A list item keeps its marker and its own punctuation ("- Onboarding: $1,500 (waived if
    you sign by 12/15)" -> "- Onboarding: $1,500"); an item with nothing left goes whole.
    """
    start, end = span
    marker = _LIST_MARKER.match(body, start, end)
    if marker is None:
        return _clause_cut(body, span, hits, replacement)
    _, _, text = _clause_cut(body, (marker.end(), end), hits, replacement)
    if not text:
        return start, end, replacement
    if not replacement and not body[start:end].rstrip().endswith((".", "!", "?", "\u2026")):
        text = text.rstrip(".")
    return marker.end(), end, text


def _clause_cut(
    body: str, span: tuple[int, int], hits: list[Finding], replacement: str
) -> tuple[int, int, str]:
    start, end = span
    was_question = body[start:end].rstrip().endswith("?")
    for level in range(LEVELS):
        parts = pieces(body, start, end, level)
        if len(parts) < 2:
            continue
        bad = _with_dependents(
            body, parts, [any(p.start < f.end and f.start < p.end for f in hits) for p in parts]
        )
        if all(bad) or not any(bad):
            continue
        kept: list[Piece] = [p for p, b in zip(parts, bad, strict=True) if not b]
        if level == 0 and bad[0] and not find_items(body[kept[0].start : kept[-1].end]):
            continue  # "... and we still don't have one": a trailing clause leans on what went
        text = _join(body, kept)
        sentence = _clean_piece_text(text, was_question, is_last=not bad[-1], first=not bad[0])
        if sentence is not None:
            return start, end, sentence + (f" {replacement}" if replacement else "")
    return start, end, replacement


# A clause that opens with one of these depends on the clause before it ("... but I need
# your deposit by tomorrow or we lose it": "or we lose it" means nothing on its own).
_DEPENDS_ON_PREVIOUS = re.compile(
    r"(?:or|so|otherwise|else|which|then|because|since|unless|until)\b", re.IGNORECASE
)
_CLAUSE_LEAD = ",;:\u2014\u2013-"  # skipped (with whitespace) before a clause's first word


def _with_dependents(body: str, parts: list[Piece], bad: list[bool]) -> list[bool]:
    """`bad`, plus every clause that leans on a cut clause right before it."""
    out = list(bad)
    for i in range(1, len(parts)):
        first = parts[i].start
        while first < parts[i].end and (body[first].isspace() or body[first] in _CLAUSE_LEAD):
            first += 1
        if out[i - 1] and not out[i] and _DEPENDS_ON_PREVIOUS.match(body, first):
            out[i] = True
    return out


def _join(body: str, kept: list[Piece]) -> str:
    out = ""
    previous_end: int | None = None
    for piece in kept:
        chunk = body[piece.start : piece.end]
        if previous_end is None:
            out = chunk
        elif piece.start == previous_end + len(piece.sep):
            out += piece.sep + chunk
        else:
            out += (piece.sep if piece.sep.strip() in (",", "") else ", ") + chunk
        previous_end = piece.end
    return out


# The seller's boasts: a figure inside one is a claim about the seller, not the buyer's substance.
_BOAST = re.compile(
    r"\b(?:industry[- ]lead\w*|market[- ]lead\w*|leading|leader|best|#1|number one|award"
    r"|proud|world[- ]class|fastest|top[- ]rated|trusted by)\b",
    re.IGNORECASE,
)
# A sentence that only answers the one before it ("Totally fine if not.") goes with it.
# The leading whitespace is taken possessively: each alternative starts with a letter or
# has room for 80 characters of its own after it, so giving a space back never makes a
# match (a long run of spaces after a cut was split every possible way: 50 ms on 20 KB).
_LEANS_BACK = re.compile(
    r"\s*+(?:(?:(?:totally|that's|it's|that is|it is|no worries|no problem|all good|also)\s+)?"
    r"(?:fine\s+)?(?:if not|if so|if you haven't|no worries if not)\b[^.!?\n]{0,200}[.!?]"
    # ... or a sentence that points at a time, an offer or a rival only the removed one
    # named ("We would never treat you like that." after a cut put-down).
    r"|[^.!?\n]{0,80}\b(?:before then|by then|until then|after that date|that deadline"
    r"|that offer|that price|that window|like that|unlike them|unlike (?:those|these) guys"
    r"|(?:the|those) other guys)\b[^.!?\n]{0,60}[.!?]"
    # ... or a bare scheduling question left over from a cut ask ("When is possible?").
    r"|(?:so )?(?:when|what time|which day|free|available|does (?:that|this|it) work|works?"
    r"|sound good|ok|okay|thoughts)\b[^.!?\n\d]{0,24}\?+)",
    re.IGNORECASE,
)
# A clause left standing alone needs a verb of its own ("The better for your budget." has none).
# The last alternative starts at a word start: tried from inside a word it re-read the
# word from each character (seconds on one 20,000-character "word"), and a word whose
# start fails cannot match from inside it.
_HAS_VERB = re.compile(
    r"\b(?:i|you|we|they|he|she|it|this|that|there|here)\b\s+\w+"
    r"|\b(?:is|are|was|were|be|been|am|has|have|had|do|does|did|can|could|will|would|should"
    r"|shall|may|might|must|need|needs|want|wants|let|send|call|see|try|take|get|make|keep"
    r"|helps?|works?|shows?|saves?|cuts?)\b|\b\w+(?:['\u2019](?:s|re|ve|ll|d|m)|ed)\b",
    re.IGNORECASE,
)


_TURNS_BACK = re.compile(
    r"[ \t]*+\n?[ \t]*+\n?[ \t]*+((?:anyway|anyhow|regardless|either way|in any case"
    r"|all the same|but anyway),[ \t]++)(?=\S)",
    re.IGNORECASE,
)
_ADDS_ON = re.compile(r"\s*((?:also|and|plus|besides),?\s+)(?=[a-z])", re.IGNORECASE)


def _apply(body: str, cuts: list[tuple[int, int, str]]) -> str:
    before = body
    extra: list[tuple[int, int, str]] = []
    for _, end, text in cuts:
        if not text and (lean := _LEANS_BACK.match(body, end)) is not None:
            extra.append((lean.start(), lean.end(), ""))
        elif not text and (turn := _TURNS_BACK.match(body, end)) is not None:
            # "I've left you three voicemails. Anyway, here is the teardown." with the
            # first sentence cut: "Here is the teardown." (nothing to turn from).
            following = turn.end()
            if following < len(body):
                extra.append((turn.start(1), following + 1, body[following].upper()))
        elif not text and (also := _ADDS_ON.match(body, end)) is not None:
            # "Also we have ..." with nothing before it any more: "We have ...".
            following = also.end()
            if following < len(body):
                extra.append((also.start(1), following + 1, body[following].upper()))
    taken = {(s, e) for s, e, _ in cuts}
    cuts = cuts + [c for c in extra if (c[0], c[1]) not in taken]
    for start, end, text in sorted(cuts, reverse=True):
        if not text:
            # Take the spaces after a removed sentence with it (never the line break).
            while end < len(body) and body[end] in " \t":
                end += 1
        body = body[:start] + text + body[end:]
    return tidy(without_remnants(body, before))


def _loses_items(before: str, after: str) -> bool:
    kept = {i.key for i in find_items(after)}
    return any(i.key not in kept for i in find_items(before))


_WORD = re.compile(r"[\w]+")
_CAPITALISED = re.compile(r"\b[A-Z][\w]*")


def loses_substance(before: str, after: str, theirs: frozenset[str] = frozenset()) -> bool:
    """Whether cutting `before` down to `after` loses what the buyer can use.

    Substance is an item (a link, contact, price or figure), or a named thing
    the buyer's side of the context names too (`theirs`: lower-cased words of
    their messages, the notes, their goal, company and agreed step): a
    warning's cut never costs one ("yes, we support Zendesk and Freshdesk out of
    the box" answers their question about Freshdesk and must not lose it to
    remove a buzzword). A name only the draft holds ("our IoT solution") is the
    seller's pitch, and goes with the buzzwords around it.
    """
    if _loses_items(before, after):
        return True
    if not theirs:
        return False
    kept = set(_WORD.findall(after.lower()))
    # A name is capitalised: when the cut loses no capitalised word of theirs, it loses
    # no name of theirs, and the facts of the sentence need not be read (most cuts).
    lost = {w.lower() for w in _CAPITALISED.findall(before)} - kept
    if not lost & theirs:
        return False
    return any(word not in kept for word in name_words(before) & theirs)


def their_words(context: Context | None) -> frozenset[str]:
    """Lower-cased words of the buyer's side of the context (see `loses_substance`)."""
    if context is None:
        return frozenset()
    texts = [context.goal, context.notes, *context.prospect_messages]
    if context.prospect is not None:
        texts += [context.prospect.name, context.prospect.company]
    if context.history is not None:
        texts.append(context.history.agreed_next_step)
    return frozenset(re.findall(r"\w+", " ".join(t for t in texts if t).lower()))


# "just circling back on the signage proposal" -> "about the signage proposal": the
# check-in goes, the topic it named stays (a voicemail must still say what it is about).
_CHECK_IN_TOPIC = re.compile(
    r"(?:i'm |i am |i was |just |only |quickly )*(?:circling back|following up|checking in"
    r"|touching base|bumping this|reaching out again|calling again|following-up)"
    r"(?: again| once more)?\s+(?:on|about|regarding|re:?|with you on|with you about)\s+"
    r"(?P<topic>(?:the|our|my|your)\s+[\w' -]{3,60}?)(?=[.!?,;]|$)",
    re.IGNORECASE,
)


def check_in_topic(sentence: str) -> tuple[int, int, str] | None:
    """Within `sentence`, the check-in phrase to replace by "about <topic>", if it names one."""
    m = _CHECK_IN_TOPIC.search(sentence)
    if m is None or len(m.group("topic").split()) < 2:
        return None
    return m.start(), m.end(), f"about {m.group('topic').strip()}"
