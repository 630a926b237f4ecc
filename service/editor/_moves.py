"""The strategy moves and swaps the editor adds, loaded from `moves.toml`."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from service.datafile import Strict, load_toml
from service.models import STRATEGY_IDS, Channel, StrategyId

_FILE = Path(__file__).with_name("moves.toml")
SHORT_CHANNELS: frozenset[Channel] = frozenset({"sms", "linkedin"})


class Move(Strict):
    """What one strategy adds when the kept text lacks it."""

    present: tuple[str, ...] = ()
    openers: tuple[str, ...] = ()
    # Where an opener goes: "start" (after the greeting and any self-introduction) or
    # "end" (just before the closing question, after the rep's own content).
    placement: Literal["start", "end"] = "start"
    questions: tuple[str, ...] = Field(min_length=1)
    short: tuple[str, ...] = Field(min_length=1)
    # Voicemail is spoken, usually with a callback number: its own words ("calling").
    spoken_openers: tuple[str, ...] = ()
    spoken_questions: tuple[str, ...] = ()
    # Whether a concrete next step the rep already gives ("call me at ...", "your visit is
    # confirmed for ...") makes the closing question unnecessary for this strategy.
    kept_step_suffices: bool = False

    @field_validator("present")
    @classmethod
    def _compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            re.compile(pattern)
        return value

    @field_validator("questions", "short", "spoken_questions")
    @classmethod
    def _asks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for text in value:
            if not text.endswith("?"):
                raise ValueError(f"a question must end with '?': {text!r}")
        return value

    def made(self, text: str) -> bool:
        """Whether `text` (any case) already makes this move."""
        low = text.lower()
        return any(re.search(p, low) for p in self.present)


class _Meta(Strict):
    version: int


class MovesFile(Strict):
    meta: _Meta
    subjects: dict[StrategyId, str]
    filler: tuple[str, ...] = ()
    # Sentences that only make conversation ("I really enjoyed our chat"): a draft over
    # its length budget loses these before anything that carries substance.
    pleasantries: tuple[str, ...] = ()
    swaps: dict[str, str] = Field(default_factory=dict)
    strategies: dict[StrategyId, Move]

    @field_validator("strategies", "subjects")
    @classmethod
    def _all(cls, value: dict[StrategyId, object]) -> dict[StrategyId, object]:
        missing = set(STRATEGY_IDS) - set(value)
        if missing:
            raise ValueError(f"no moves for {sorted(missing)}")
        return value


@cache
def moves() -> MovesFile:
    """The editor's moves, validated once; a bad file is `DataFileInvalid`."""
    return load_toml(MovesFile, _FILE, file="editor/moves.toml")


def pick(options: tuple[str, ...], seed: str) -> str:
    """One of `options`, the same for the same seed (no randomness, no clock)."""
    digest = hashlib.blake2b(seed.encode(), digest_size=4).digest()
    return options[int.from_bytes(digest, "big") % len(options)]


def question_for(strategy: StrategyId, channel: Channel, seed: str) -> str:
    """The strategy's closing question in the channel's words (the same for the same seed)."""
    move = moves().strategies[strategy]
    if channel == "voicemail" and move.spoken_questions:
        return pick(move.spoken_questions, seed)
    return pick(move.short if channel in SHORT_CHANNELS else move.questions, seed)


def opener_for(strategy: StrategyId, seed: str, channel: Channel = "email") -> str | None:
    """The strategy's opening sentence, if it has one, in the channel's words."""
    move = moves().strategies[strategy]
    options = (
        move.spoken_openers if channel == "voicemail" and move.spoken_openers else move.openers
    )
    return pick(options, seed) if options else None
