"""Load and validate `templates.toml`, the composer's sentence catalogue.

Validated once at load time against pydantic models that reject unknown keys:
an unknown fact, a question mark outside the question slot, a missing
strategy or channel is a `DataFileInvalid` naming the place, so a bad edit
fails in CI rather than producing a bad message.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictInt, field_validator, model_validator

from service.datafile import Strict, load_toml, validate
from service.models import CHANNELS, STRATEGY_IDS, Channel, StrategyId

TEMPLATES_PATH = Path(__file__).with_name("templates.toml")
FACT_NAMES = frozenset({"first_name", "company", "goal", "sender_name", "sender_company"})
TINY_MAX_WORDS = 5
TINY_MAX_CHARS = 20


class Variant(Strict):
    """One wording of a sentence: usable when its facts are known, on its channels."""

    needs: frozenset[str] = frozenset()
    channels: frozenset[Channel] = frozenset(CHANNELS)
    text: Annotated[str, Field(pattern=r"\S")]

    @field_validator("needs")
    @classmethod
    def _known_facts(cls, value: frozenset[str]) -> frozenset[str]:
        if unknown := sorted(value - FACT_NAMES):
            raise ValueError(f"unknown fact(s) {unknown}")
        return value

    @model_validator(mode="after")
    def _placeholders_needed(self) -> Variant:
        used: set[str] = set()
        for m in string.Template.pattern.finditer(self.text):
            if m.group("invalid") is not None:
                raise ValueError("a lone '$'")
            if name := m.group("named") or m.group("braced"):
                used.add(name)
        if not used <= self.needs:
            raise ValueError(f"placeholders {sorted(used - self.needs)} not in needs")
        return self

    def usable(self, known: frozenset[str], channel: Channel) -> bool:
        """Whether every fact this variant needs is known and it fits the channel."""
        return channel in self.channels and self.needs <= known

    def fill(self, values: Mapping[str, str]) -> str:
        """The sentence with its facts filled in."""
        return string.Template(self.text).substitute(values)


def _no_question(variants: tuple[Variant, ...]) -> tuple[Variant, ...]:
    if any("?" in v.text for v in variants):
        raise ValueError("only the question slot may contain '?'")
    return variants


def _fact_free(variants: tuple[Variant, ...]) -> tuple[Variant, ...]:
    if not any(not v.needs for v in variants):
        raise ValueError("needs a variant that uses no fact")
    return variants


Statements = Annotated[tuple[Variant, ...], AfterValidator(_no_question)]
Whitespace = Annotated[str, Field(pattern=r"^\s+$")]


class SlotFile(Strict):
    """One sentence slot of a strategy."""

    optional: bool = False
    question: bool = False
    variants: Annotated[tuple[Variant, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _question_marks(self) -> SlotFile:
        for v in self.variants:
            if self.question and not (v.text.endswith("?") and v.text.count("?") == 1):
                raise ValueError("a question variant must end with its only '?'")
        if not self.question:
            _no_question(self.variants)
        return self


_STRATEGY_KEYS = frozenset({"order", "tiny", "subject"})


class StrategyFile(Strict):
    """A strategy's table: its slots (named in `order`), the subject and the tiny question."""

    order: Annotated[tuple[str, ...], Field(min_length=1)]
    tiny: str
    subject: Annotated[Statements, AfterValidator(_fact_free)]
    slots: dict[str, SlotFile]

    @model_validator(mode="before")
    @classmethod
    def _gather_slots(cls, raw: Any) -> Any:
        """The file keys each slot by its name; the model holds them under `slots`."""
        if not isinstance(raw, dict) or not isinstance(raw.get("order"), list):
            return raw
        order = set(raw["order"])
        if unknown := sorted(set(raw) - _STRATEGY_KEYS - order):
            raise ValueError(f"unknown key(s) {unknown}")
        if missing := sorted(order - set(raw)):
            raise ValueError(f"missing key(s) {missing}")
        fixed = {k: v for k, v in raw.items() if k in _STRATEGY_KEYS}
        return {**fixed, "slots": {k: v for k, v in raw.items() if k in order}}

    @field_validator("tiny")
    @classmethod
    def _tiny(cls, tiny: str) -> str:
        if (
            not tiny.endswith("?")
            or tiny.count("?") != 1
            or len(tiny.split()) > TINY_MAX_WORDS
            or len(tiny) > TINY_MAX_CHARS
        ):
            raise ValueError("one short question, at most 5 words and 20 chars")
        return tiny

    @model_validator(mode="after")
    def _one_question(self) -> StrategyFile:
        questions = [s for s in self.slots.values() if s.question]
        if len(questions) != 1 or questions[0].optional:
            raise ValueError("exactly one required question slot is needed")
        if not any(not v.needs for v in questions[0].variants):
            raise ValueError("the question needs a variant that uses no fact")
        for channel in CHANNELS:
            for name, slot in self.slots.items():
                if not slot.optional and not any(
                    v.usable(frozenset(), channel) for v in slot.variants
                ):
                    raise ValueError(f"{name}: no fact-free variant for {channel}")
        return self


class ChannelTemplates(Strict):
    """A channel's frame: greeting, sign-off, closing and the whitespace between parts."""

    greeting: Annotated[Statements, AfterValidator(_fact_free)]
    signoff: Statements
    closing: Statements
    greeting_sep: Whitespace
    question_sep: Whitespace
    signoff_sep: Whitespace


class _Meta(Strict):
    version: StrictInt


def _every(ids: tuple[str, ...]) -> Any:
    def check(value: dict[str, Any]) -> dict[str, Any]:
        if missing := sorted(set(ids) - set(value)):
            raise ValueError(f"missing key(s) {missing}")
        return value

    return AfterValidator(check)


class TemplatesFile(Strict):
    """The whole of templates.toml: every strategy and every channel."""

    meta: _Meta
    strategies: Annotated[dict[StrategyId, StrategyFile], _every(STRATEGY_IDS)]
    channels: Annotated[dict[Channel, ChannelTemplates], _every(CHANNELS)]


@dataclass(frozen=True, slots=True)
class Slot:
    name: str
    optional: bool
    question: bool
    variants: tuple[Variant, ...]


@dataclass(frozen=True, slots=True)
class StrategyTemplates:
    slots: tuple[Slot, ...]
    subject: tuple[Variant, ...]
    tiny: str


@dataclass(frozen=True, slots=True)
class Templates:
    version: int
    strategies: Mapping[StrategyId, StrategyTemplates]
    channels: Mapping[Channel, ChannelTemplates]


def _strategy(raw: StrategyFile) -> StrategyTemplates:
    slots = tuple(
        Slot(name, raw.slots[name].optional, raw.slots[name].question, raw.slots[name].variants)
        for name in raw.order
    )
    return StrategyTemplates(slots, raw.subject, raw.tiny)


def _templates(raw: TemplatesFile) -> Templates:
    return Templates(
        version=raw.meta.version,
        strategies={sid: _strategy(raw.strategies[sid]) for sid in STRATEGY_IDS},
        channels={cid: raw.channels[cid] for cid in CHANNELS},
    )


def parse_templates(raw: Mapping[str, Any]) -> Templates:
    """Validate the parsed TOML document; a bad one is `DataFileInvalid`."""
    return _templates(validate(TemplatesFile, raw, file="templates.toml"))


@cache
def load_templates(path: Path = TEMPLATES_PATH) -> Templates:
    """The validated catalogue (read once per process)."""
    return _templates(load_toml(TemplatesFile, path, file="composer/templates.toml"))
