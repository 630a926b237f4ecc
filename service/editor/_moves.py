"""The strategy moves and swaps the editor adds, loaded from `moves.toml`."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from pydantic import Field, field_validator

from service.datafile import Strict, load_toml
from service.models import STRATEGY_IDS, Channel, StrategyId

_FILE = Path(__file__).with_name("moves.toml")
SHORT_CHANNELS: frozenset[Channel] = frozenset({"sms", "linkedin"})


class Move(Strict):
    """What one strategy adds when the kept text lacks it."""

    present: tuple[str, ...] = ()
    openers: tuple[str, ...] = ()
    questions: tuple[str, ...] = Field(min_length=1)
    short: tuple[str, ...] = Field(min_length=1)

    @field_validator("present")
    @classmethod
    def _compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            re.compile(pattern)
        return value

    @field_validator("questions", "short")
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
    move = moves().strategies[strategy]
    return pick(move.short if channel in SHORT_CHANNELS else move.questions, seed)


def opener_for(strategy: StrategyId, seed: str) -> str | None:
    move = moves().strategies[strategy]
    return pick(move.openers, seed) if move.openers else None
