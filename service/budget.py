"""Length budgets per channel (PRODUCT.md defaults, overridable per request)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from service.models import Channel

# Named defaults: email body words, LinkedIn/SMS characters, voicemail spoken words.
EMAIL_MAX_WORDS = 125
LINKEDIN_MAX_CHARS = 300
SMS_MAX_CHARS = 320
VOICEMAIL_MAX_WORDS = 75


@dataclass(frozen=True, slots=True)
class LengthBudget:
    """A hard limit in words and/or characters; None means no limit of that kind."""

    max_words: int | None
    max_chars: int | None

    def describe(self) -> str:
        parts = []
        if self.max_words is not None:
            parts.append(f"{self.max_words} words")
        if self.max_chars is not None:
            parts.append(f"{self.max_chars} characters")
        return " and ".join(parts) or "no limit"


_DEFAULTS: dict[Channel, LengthBudget] = {
    "email": LengthBudget(max_words=EMAIL_MAX_WORDS, max_chars=None),
    "linkedin": LengthBudget(max_words=None, max_chars=LINKEDIN_MAX_CHARS),
    "sms": LengthBudget(max_words=None, max_chars=SMS_MAX_CHARS),
    "voicemail": LengthBudget(max_words=VOICEMAIL_MAX_WORDS, max_chars=None),
}


def resolve_budget(
    channel: Channel, *, max_words: int | None = None, max_chars: int | None = None
) -> LengthBudget:
    """The channel default, with any per-request override replacing its part."""
    default = _DEFAULTS[channel]
    if max_words is None and max_chars is None:
        return default
    return LengthBudget(
        max_words=max_words if max_words is not None else default.max_words,
        max_chars=max_chars if max_chars is not None else default.max_chars,
    )


class _Limits(Protocol):
    """Per-request overrides: a request's `options` (rewrite or analyze)."""

    @property
    def max_words(self) -> int | None: ...

    @property
    def max_chars(self) -> int | None: ...


def budget_for(channel: Channel, options: _Limits | None) -> LengthBudget:
    """The budget a request asks for: the one place options become a budget."""
    if options is None:
        return resolve_budget(channel)
    return resolve_budget(channel, max_words=options.max_words, max_chars=options.max_chars)
