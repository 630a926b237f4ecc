"""The few context facts the composer may use, cleaned and made safe.

The composer never invents: every fact it writes comes from the context. A
fact that would not read well or could smuggle something in (brackets that
look like template slots, links, addresses, question marks, control
characters, absurd lengths) is dropped rather than repaired, and the message
is written around it. Notes and the prospect's messages are untrusted and
never used.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from service.models import Context

MAX_FIRST_NAME_CHARS = 30
MAX_SENDER_NAME_CHARS = 40
MAX_COMPANY_CHARS = 40
MAX_GOAL_CHARS = 300

_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam"})
# Characters and patterns that make a fact unusable in a message.
_UNSAFE = re.compile(r"[\[\]{}<>|$%*_\\?]|://|www\.|@|\n|\r|\t")
_NAME_PUNCT = frozenset("'\u2019.- ")
_COMPANY_PUNCT = frozenset("&'\u2019.,+- ")
# A truncated phrase must not end on a word that needs something after it.
_DANGLING = frozenset(
    {"a", "an", "the", "and", "or", "of", "to", "for", "in", "on", "at", "with", "by", "from"}
    | {"across", "into", "over", "our", "your", "their", "its", "my", "his", "her", "as"}
    | {"than", "that", "which", "who", "while", "so", "but", "nor", "&", "between", "about"}
    | {"after", "before", "under", "through", "toward", "towards", "without", "within", "via"}
    | {"per", "like", "if", "when", "where", "because", "every", "each", "all", "any", "some"}
    | {"no", "not", "very", "more", "most", "less", "is", "are", "be", "being", "was", "were"}
)
_CLAUSE_WORDS = frozenset(
    {"and", "or", "but", "while", "whilst", "so", "because", "plus", "without"}
)
_DASHES = frozenset({"-", "\u2013", "\u2014"})
_TRAILING = ",;:-\u2013\u2014"  # comma, semicolon, colon, hyphen, en dash, em dash


@dataclass(frozen=True, slots=True)
class Facts:
    """What the templates may say; None means unknown (the template falls back)."""

    first_name: str | None = None
    company: str | None = None
    goal: str | None = None
    sender_name: str | None = None
    sender_company: str | None = None

    def known(self) -> frozenset[str]:
        return frozenset(k for k in self.__slots__ if getattr(self, k) is not None)

    def values(self) -> dict[str, str]:
        return {k: v for k in self.__slots__ if (v := getattr(self, k)) is not None}

    def without(self, *names: str) -> Facts:
        return replace(self, **dict.fromkeys(names))

    def with_goal_words(self, words: int) -> Facts:
        """The goal cut to at most `words` words at a clause boundary; None if it cannot be."""
        if self.goal is None:
            return self
        return replace(self, goal=shorten_clause(self.goal, words))


def _clean(text: str | None) -> str | None:
    """NFC, visible characters only, single spaces; None if nothing usable is left."""
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text)
    if any(
        unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cs", "Cn"} and not ch.isspace()
        for ch in text
    ):
        return None
    text = " ".join(text.split())
    return text or None


def shorten_words(text: str, words: int) -> str | None:
    """At most `words` words; trailing connectives and punctuation are dropped."""
    kept = text.split()[: max(words, 0)]
    while kept and (
        kept[-1].lower().strip(_TRAILING) in _DANGLING or not kept[-1].strip(_TRAILING)
    ):
        kept.pop()
    out = " ".join(kept).rstrip(_TRAILING)
    return out or None


def shorten_clause(text: str, words: int) -> str | None:
    """The longest leading clause(s) of at most `words` words, or None.

    A goal cut mid-phrase ("balanced across three new") reads as a mistake,
    so the cut happens only where a clause ends: after , ; : or a dash, or
    before a conjunction such as "and" or "while".
    """
    tokens = text.split()
    if len(tokens) <= words:
        return text
    for end in range(min(words, len(tokens) - 1), 0, -1):
        last, following = tokens[end - 1], tokens[end]
        if last[-1] in ",;:" or following.lower() in _CLAUSE_WORDS or following in _DASHES:
            return shorten_words(" ".join(tokens[:end]), end)
    return None


def _shorten_chars(text: str, limit: int) -> str | None:
    if len(text) <= limit:
        return text
    words: list[str] = []
    for word in text.split():
        if len(" ".join([*words, word])) > limit:
            break
        words.append(word)
    return shorten_words(" ".join(words), len(words))


def _is_name(text: str) -> bool:
    """Letters (any script, with their combining marks) and a little punctuation."""
    return (
        bool(text)
        and unicodedata.category(text[0])[0] == "L"
        and all(unicodedata.category(ch)[0] in "LM" or ch in _NAME_PUNCT for ch in text)
    )


def _is_company(text: str) -> bool:
    """Letters, marks, digits and the punctuation company names use."""
    return all(unicodedata.category(ch)[0] in "LMN" or ch in _COMPANY_PUNCT for ch in text)


def _first_name(full: str | None) -> str | None:
    name = _clean(full)
    if name is None or _UNSAFE.search(name):
        return None
    tokens = [t for t in name.split() if t.lower().rstrip(".") not in _HONORIFICS]
    if not tokens:
        return None
    first = tokens[0].rstrip(",.")
    if len(first) > MAX_FIRST_NAME_CHARS or not _is_name(first):
        return None
    return first


def _sender_name(full: str | None) -> str | None:
    name = _clean(full)
    if name is None or _UNSAFE.search(name) or not _is_name(name):
        return None
    if len(name) <= MAX_SENDER_NAME_CHARS:
        return name
    return _first_name(name)


def _company(raw: str | None) -> str | None:
    company = _clean(raw)
    if company is None or _UNSAFE.search(company) or not _is_company(company):
        return None
    if not any(ch.isalpha() for ch in company):
        return None
    return _shorten_chars(company.rstrip(" .,"), MAX_COMPANY_CHARS)


def _goal(raw: str | None) -> str | None:
    goal = _clean(raw)
    if goal is None or _UNSAFE.search(goal):
        return None
    goal = _shorten_chars(goal, MAX_GOAL_CHARS)
    if goal is None:
        return None
    goal = goal.rstrip(f" .!{_TRAILING}")
    return goal_phrase(goal) if any(ch.isalpha() for ch in goal) else None


# The CRM goal is written by the seller, often as an instruction ("cut flour
# waste") or about the buyer ("protect their largest renewal"). Templates say
# it to the buyer, so it becomes a phrase that fits "on ___": a gerund where it
# starts with a verb, and in the second person.
_GOAL_VERB_WORDS = (
    "cut reduce keep grow increase improve stop fill raise get make build launch hire move find"
    " shorten speed lower avoid win sell bring replace automate consolidate standardise standardize"
    " streamline scale expand prepare pass close recover protect retain track balance fix free save"
    " spend plan modernise modernize migrate unify simplify onboard train ship deliver open attract"
    " book boost double halve clear prevent eliminate lift drive run set roll start finish meet"
    " hit lose shrink tighten centralise centralize digitise digitize modernise manage handle"
    " organise organize prove show see sort stay turn trim upgrade use add connect cover"
    " create deploy ensure enable help land integrate reach respond route schedule secure"
    " shift switch test update"
)
_GOAL_VERBS = frozenset(_GOAL_VERB_WORDS.split())
_PRONOUNS = {
    "their": "your", "her": "your", "his": "your", "they": "you", "she": "you", "he": "you",
    "them": "you", "him": "you", "themselves": "yourselves", "herself": "yourself",
    "himself": "yourself", "they're": "you're", "theirs": "yours",
}  # fmt: skip
_DOUBLE_FINAL = frozenset({"cut", "get", "stop", "win", "plan", "ship", "run", "set", "drop"}) | {
    "hit",
    "trim",
}


def _gerund(verb: str) -> str:
    if verb in _DOUBLE_FINAL:
        return verb + verb[-1] + "ing"
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        return verb[:-1] + "ing"
    return verb + "ing"


# Openings of a noun phrase that reads after "on" as written ("faster onboarding").
_NOUN_STARTS = frozenset(
    {"a", "an", "the", "more", "fewer", "less", "better", "faster", "lower", "higher", "new"}
    | {"your", "cleaner", "quicker", "simpler", "smoother", "fuller", "steady", "steadier"}
)


def goal_phrase(goal: str) -> str | None:
    """The goal as a second-person phrase that reads after "on", or None when unsure.

    Never pasted as written: a verb becomes a gerund ("cut waste" -> "cutting waste"),
    the buyer's pronouns become "your"; a goal that opens any other way is left out
    rather than risk "on add pickups".
    """
    words = goal.split()
    if words and words[0].lower() == "to" and len(words) > 1:
        words = words[1:]
    words = [_PRONOUNS.get(w.lower(), w) if w.lower() in _PRONOUNS else w for w in words]
    first = words[0]
    if first.lower() in _GOAL_VERBS and (first.islower() or first.istitle()):
        words[0] = _gerund(first.lower())
    elif first.lower() in _NOUN_STARTS or first.lower().endswith("ing"):
        words[0] = first.lower() if first.istitle() else first
    else:
        return None
    return " ".join(words)


def extract_facts(context: Context | None) -> Facts:
    """The safe facts of `context` (trusted CRM fields only; notes are never used)."""
    if context is None:
        return Facts()
    prospect, sender = context.prospect, context.sender
    return Facts(
        first_name=_first_name(prospect.name) if prospect else None,
        company=_company(prospect.company) if prospect else None,
        goal=_goal(context.goal),
        sender_name=_sender_name(sender.name) if sender else None,
        sender_company=_company(sender.company) if sender else None,
    )
