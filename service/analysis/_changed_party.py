"""changed_party: the message is addressed to, or comes from, someone else.

A model that obeys text planted in the buyer's messages ("address this to
Mark instead", "sign it as Helen from Acme") re-addresses the message. With a
context that names the prospect and the sender, three places are checked:

- the greeting ("Hi Mark,", "Dear Mr. Patel,") must name the prospect (a first
  name, the surname after a title, a nickname the notes or the buyer give
  ("everyone calls her Kate"), or the prospect's company: "Hi Fernway
  team"); "Hi there", "Hi team" name nobody and pass;
- a self-introduction ("this is Jordan from Milltrack", "it's Sam") must name
  the sender, and a company given with it must be the sender's;
- the signature after a sign-off ("Best," then "Helen" on the next line), or a
  dash signature ending a one-paragraph message ("... help? — Hana Okafor"),
  must start with the sender's name;
- an opening that names the addressee ("For Dr. Feldman:", "Attn: Maria
  Gonzalez", with a title or a full name) must name the prospect, and one
  that names the author ("A personal note from Victor Lang") the sender. The
  subject line is checked as a message of its own, so both hold there too.

A name matches when it equals a word of the context's name or one is the
start of the other (at least three letters: "Chris" and "Christopher"). A
person merely mentioned ("include Mark from purchasing") is not checked.
"""

from __future__ import annotations

import re
from functools import cache

from service.analysis._fact_keys import vocab
from service.analysis._matcher import Lexicon, lexicons
from service.analysis._normalize import clean, clean_fields
from service.analysis._patterns import make_finding
from service.analysis._text import Doc
from service.models import Context, Finding

_NAME = r"[A-Z\u00c0-\u00de][\w'\u2019-]*"
_WORDS = re.compile(r"[\w]+(?:['-][\w]+)*")


@cache
def _lexicon() -> Lexicon:
    return lexicons()["changed_party"]


def _alt(words: list[str]) -> str:
    return "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True)
    )


def _titled_name(titles: list[str]) -> str:
    """An optional title ("Dr.") and a name of up to three words: groups title, name, more."""
    return (
        rf"(?P<title>(?i:{_alt(titles)})\.?[ \t]++)?"
        rf"(?P<name>{_NAME})(?P<more>(?:[ \t]+{_NAME}){{0,2}})"
    )


@cache
def _greeting_re() -> re.Pattern[str]:
    w = _lexicon().file.words
    return re.compile(
        rf"\A\s*+(?i:{_alt(w['greetings'])})(?:[ \t]*+,[ \t]++|[ \t]++)" + _titled_name(w["titles"])
    )


_INTRO_PHRASES = ("it's", "it is", "this is", "i'm", "i am", "my name is")
_INTRO = re.compile(
    rf"\b(?i:{'|'.join(_INTRO_PHRASES)})[ \t]+(?P<name>{_NAME})"
    rf"(?:[ \t]+(?P<last>{_NAME}))?"
    rf"(?=[ \t]*[,.!;\u2014-]|[ \t]+(?:from|at|with|here|@)\b|[ \t]*@|[ \t]*$)"
    rf"(?:[ \t]*(?:from|at|with|@)[ \t]*(?P<company>{_NAME}(?:[ \t]+{_NAME}){{0,3}}))?",
    re.MULTILINE,
)
# The letters other than ASCII that `(?i:...)` matches to a letter of those phrases
# (found by trying every code point): lower-casing keeps them, so a phrase written
# with one of them is not found in the lower-cased text.
_INTRO_ODD_LETTERS = ("\u0130", "\u0131", "\u017f")


def _may_introduce(doc: Doc) -> bool:
    r"""False when `_INTRO` cannot match: none of its phrases is in the text, in any case.

    The pattern starts with a case-insensitive alternation after `\b`, which the
    regex engine tries at every position (1.5 ms on 20 KB); substring tests on the
    lower-cased text are a few microseconds.
    """
    return any(p in doc.norm for p in _INTRO_PHRASES) or any(
        ch in doc.norm for ch in _INTRO_ODD_LETTERS
    )


@cache
def _sign_off_re() -> re.Pattern[str]:
    w = _lexicon().file.words
    return re.compile(
        rf"^[ \t]*+(?i:{_alt(w['sign_offs'])})[ \t]*+[,.!\u2014-]*+[ \t]*+(?:\n\s*+|(?<=[ \t]))"
        rf"(?P<name>{_NAME})[^\n]*+\s*\Z|^[ \t]*+[\u2014-]++[ \t]*+(?P<dash>{_NAME})[^\n]*+\s*\Z"
        # A dash signature at the end of a one-paragraph message: "... help? — Hana Okafor".
        rf"|[.!?)][ \t]++[\u2014\u2013-]{{1,2}}[ \t]*+"
        rf"(?P<inline>{_NAME}(?:[ \t]+{_NAME}){{0,2}})[ \t.]*\Z",
        re.MULTILINE,
    )


@cache
def _addressee_re() -> re.Pattern[str]:
    """A message (or subject) that opens by naming who it is for: "For Dr. Feldman:"."""
    w = _lexicon().file.words
    return re.compile(
        r"\A\s*+(?i:for the attention of|attention|attn|fao|for|to)\b\.?:?[ \t]++"
        + _titled_name(w["titles"])
    )


# A message (or subject) that opens by saying who it is from: "A personal note from
# Victor Lang", "Message from Derek Holm", "From: Helen Ward".
_FROM_RE = re.compile(
    rf"\A\s*+(?:(?i:a|an|this|my|one)[ \t]++)?(?:(?i:personal|quick|short|brief|friendly|private)"
    rf"[ \t]++)?(?i:note|message|letter|word|update|email|e-mail|invitation|invite|hello)[ \t]++"
    rf"(?i:from)[ \t]++(?P<name>{_NAME})(?P<more>(?:[ \t]+{_NAME}){{0,2}})"
    rf"|\A\s*+(?i:from):?[ \t]++(?P<name2>{_NAME})(?P<more2>(?:[ \t]+{_NAME}){{0,2}})"
)


def _names(text: str | None) -> list[str]:
    return [w.lower() for w in _WORDS.findall(clean(text or ""))]


_NICKNAME = re.compile(
    rf"\b(?:calls? (?:her|him|them|me)|called|goes by|go by|prefers|known as|nickname is)"
    rf"[ \t]+[\"']?(?P<name>{_NAME})"
)


def _nicknames(context: Context) -> list[str]:
    """Names the notes or the buyer give the prospect: "everyone calls her Kate"."""
    text = clean_fields(context.notes or "", *context.prospect_messages)
    return [m.group("name").lower() for m in _NICKNAME.finditer(text)]


@cache
def _short_forms() -> frozenset[tuple[str, str]]:
    pairs = _lexicon().file.words["nicknames"]
    return frozenset((p.split(":")[0], p.split(":")[1]) for p in pairs)


def _matches(word: str, names: list[str], *, short_forms: bool = False) -> bool:
    """`word` is one of `names`, the start of one, or starts with one.

    With `short_forms`, a short form counts too ("Bec" for Rebecca, "Bob" for Robert).
    """
    w = word.lower().replace("\u2019", "'")
    w = w[:-2] if w.endswith("'s") else w
    for n in names:
        if w == n:
            return True
        if min(len(w), len(n)) >= 3 and (n.startswith(w) or w.startswith(n)):
            return True
        if short_forms and (
            (len(w) >= 3 and w in n) or (len(w) <= 4 and n[:2] == w[:2]) or (w, n) in _short_forms()
        ):
            return True
    return False


def _ordinary(word: str) -> bool:
    """A capitalised word that is not a name (Monday, Thanks, There, Team...)."""
    low = word.lower()
    v = vocab()
    return low in v.not_names or low in set(_lexicon().file.words["not_a_name"])


def find_changed_party(doc: Doc, context: Context | None) -> list[Finding]:
    """Greeting, self-introduction and signature checked against the context's names."""
    if context is None:
        return []
    lex = _lexicon()
    prospect, sender = context.prospect, context.sender
    out: list[Finding] = []
    if prospect is not None and prospect.name:
        names = _names(prospect.name) + _nicknames(context)
        out += _greeting(doc, lex, names, _names(prospect.company))
        out += _addressee(doc, lex, names, _names(prospect.company))
    if sender is not None and sender.name:
        # "Thanks again, Dana" closing a message thanks the buyer: not a signature.
        buyer = _names(prospect.name) if prospect is not None else []
        out += _speaker(doc, lex, _names(sender.name), _names(sender.company), buyer)
    return out


def _greeting(doc: Doc, lex: Lexicon, names: list[str], company: list[str]) -> list[Finding]:
    m = _greeting_re().match(doc.folded)
    if m is None:
        return []
    name = m.group("name")
    title = m.group("title")
    # "Good morning Superintendent Kline", "Dear Dr. Catherine Morgan": any word may be the name.
    words = [name, *m.group("more").split()]
    if _ordinary(name) or any(
        _matches(w, names, short_forms=not title) or (not title and _matches(w, company))
        for w in words
    ):
        return []
    msg = f"The greeting names \u201c{name}\u201d, not the prospect; check who this is for."
    return [make_finding(lex, doc, m.start("name"), m.end("name"), msg)]


def _addressee(doc: Doc, lex: Lexicon, names: list[str], company: list[str]) -> list[Finding]:
    """An opening "For Dr. Feldman:" / "Attn: Maria Gonzalez" must name the prospect.

    Only a title or a full name counts ("For Tuesday's call" names nobody).
    """
    m = _addressee_re().match(doc.folded)
    if m is None or not (m.group("title") or m.group("more")):
        return []
    words = [m.group("name"), *m.group("more").split()]
    if any(
        _ordinary(w) or _matches(w, names, short_forms=True) or _matches(w, company) for w in words
    ):
        return []
    msg = f"The message is addressed to \u201c{' '.join(words)}\u201d, not the prospect."
    end = m.end("more") if m.group("more") else m.end("name")
    return [make_finding(lex, doc, m.start("name"), end, msg)]


def _closing_lines_start(text: str) -> int:
    """Where the last two lines with text begin: no sign-off match starts before.

    Every alternative of `_sign_off_re` ends the text: a sign-off line, blank
    lines and the name's line; a dash line; or a dash signature inside the
    last line (no line break in it). `search` from here finds the same match
    without trying every line start of 20 KB.
    """
    last = text.rfind("\n", 0, len(text.rstrip())) + 1
    if last == 0:
        return 0
    return text.rfind("\n", 0, len(text[:last].rstrip())) + 1


def _speaker(
    doc: Doc, lex: Lexicon, names: list[str], company: list[str], buyer: list[str]
) -> list[Finding]:
    out: list[Finding] = []
    seen: set[str] = set()
    for m in _INTRO.finditer(doc.folded) if _may_introduce(doc) else ():
        name = m.group("name")
        if _ordinary(name) or m.group(0) in seen:
            continue
        seen.add(m.group(0))  # one finding per distinct introduction
        other = m.group("company")
        wrong_name = not _matches(name, names, short_forms=True)
        wrong_company = (
            other is not None
            and bool(company)
            and not any(_matches(w, company) for w in _WORDS.findall(other))
        )
        if wrong_name or wrong_company:
            end = m.end("company") if other else m.end("name")
            msg = "The message introduces a different sender; it must come from the sender."
            out.append(make_finding(lex, doc, m.start("name"), end, msg))
    opening = _FROM_RE.match(doc.folded)
    if opening is not None:
        group = "name" if opening.group("name") else "name2"
        words = [
            opening.group(group),
            *(opening.group("more" if group == "name" else "more2") or "").split(),
        ]
        if not any(
            _ordinary(w) or _matches(w, names, short_forms=True) or _matches(w, company)
            for w in words
        ):
            msg = f"The message says it is from \u201c{' '.join(words)}\u201d, not the sender."
            out.append(make_finding(lex, doc, opening.start(group), opening.end(group), msg))
    sign = _sign_off_re().search(doc.folded, _closing_lines_start(doc.folded))
    if sign is not None:
        group = next(g for g in ("name", "dash", "inline") if sign.group(g))
        name = sign.group(group).split()[0]
        # "Thanks again, Dana" after a sign-off thanks the buyer; a dash signature
        # ("— Hana Okafor") names the signer, whoever it is.
        excused = _matches(name, buyer) and group != "inline"
        # Signing with the sender's own company ("Thanks,\nRotawise") is the sender.
        own = _matches(name, names, short_forms=True) or _matches(name, company)
        if not (_ordinary(name) or own or excused):
            msg = f"Signed \u201c{name}\u201d, not the sender; check who this is from."
            out.append(make_finding(lex, doc, sign.start(group), sign.end(group), msg))
    return out
