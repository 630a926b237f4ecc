"""Load and validate `templates.toml`, the composer's sentence catalogue.

Validated once at load time: unknown keys, unknown facts, a question mark
outside the question slot, or a strategy/channel missing is an error, so a
bad edit fails in CI rather than producing a bad message.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from service.models import CHANNELS, STRATEGY_IDS, Channel, StrategyId

TEMPLATES_PATH = Path(__file__).with_name("templates.toml")
FACT_NAMES = frozenset({"first_name", "company", "goal", "sender_name", "sender_company"})
TINY_MAX_WORDS = 5
TINY_MAX_CHARS = 20


class TemplateError(ValueError):
    """templates.toml does not follow its schema."""


@dataclass(frozen=True, slots=True)
class Variant:
    needs: frozenset[str]
    channels: frozenset[Channel]
    text: str

    def usable(self, known: frozenset[str], channel: Channel) -> bool:
        return channel in self.channels and self.needs <= known

    def fill(self, values: Mapping[str, str]) -> str:
        return string.Template(self.text).substitute(values)


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
class ChannelTemplates:
    greeting: tuple[Variant, ...]
    signoff: tuple[Variant, ...]
    closing: tuple[Variant, ...]
    greeting_sep: str
    question_sep: str
    signoff_sep: str


@dataclass(frozen=True, slots=True)
class Templates:
    version: int
    strategies: Mapping[StrategyId, StrategyTemplates]
    channels: Mapping[Channel, ChannelTemplates]


def _keys(where: str, got: Mapping[str, Any], allowed: set[str], required: set[str]) -> None:
    if unknown := sorted(set(got) - allowed):
        raise TemplateError(f"{where}: unknown key(s) {unknown}")
    if missing := sorted(required - set(got)):
        raise TemplateError(f"{where}: missing key(s) {missing}")


def _variant(where: str, raw: Any, *, question: bool | None) -> Variant:
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: a variant is a table")
    _keys(where, raw, {"needs", "channels", "text"}, {"text"})
    text, needs = raw["text"], raw.get("needs", [])
    channels = raw.get("channels", list(CHANNELS))
    if not isinstance(text, str) or not text.strip():
        raise TemplateError(f"{where}: text must be a non-empty string")
    if not set(needs) <= FACT_NAMES or not set(channels) <= set(CHANNELS):
        raise TemplateError(f"{where}: unknown fact or channel in {needs} / {channels}")
    used: set[str] = set()
    for m in string.Template.pattern.finditer(text):
        if m.group("invalid") is not None:
            raise TemplateError(f"{where}: a lone '$'")
        if name := m.group("named") or m.group("braced"):
            used.add(name)
    if not used <= set(needs):
        raise TemplateError(f"{where}: placeholders {sorted(used - set(needs))} not in needs")
    if question is True and not (text.endswith("?") and text.count("?") == 1):
        raise TemplateError(f"{where}: a question variant must end with its only '?'")
    if question is False and "?" in text:
        raise TemplateError(f"{where}: only the question slot may contain '?'")
    return Variant(frozenset(needs), frozenset(channels), text)


def _variants(where: str, raw: Any, *, question: bool | None = False) -> tuple[Variant, ...]:
    if not isinstance(raw, list):
        raise TemplateError(f"{where}: expected a list of variants")
    return tuple(_variant(f"{where}[{i}]", v, question=question) for i, v in enumerate(raw))


def _strategy(sid: str, raw: Any) -> StrategyTemplates:
    where = f"strategies.{sid}"
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: expected a table")
    order = raw.get("order")
    if not isinstance(order, list) or not order:
        raise TemplateError(f"{where}: `order` lists the slots")
    _keys(where, raw, {"order", "tiny", "subject", *order}, {"order", "tiny", "subject", *order})
    slots = []
    for name in order:
        slot = raw[name]
        _keys(f"{where}.{name}", slot, {"optional", "question", "variants"}, {"variants"})
        is_question = bool(slot.get("question", False))
        variants = _variants(f"{where}.{name}", slot["variants"], question=is_question)
        if not variants:
            raise TemplateError(f"{where}.{name}: no variants")
        slots.append(Slot(name, bool(slot.get("optional", False)), is_question, variants))
    questions = [s for s in slots if s.question]
    if len(questions) != 1 or questions[0].optional:
        raise TemplateError(f"{where}: exactly one required question slot is needed")
    if not any(not v.needs for v in questions[0].variants):
        raise TemplateError(f"{where}: the question needs a variant that uses no fact")
    for channel in CHANNELS:
        for slot in slots:
            if not slot.optional and not any(v.usable(frozenset(), channel) for v in slot.variants):
                raise TemplateError(f"{where}.{slot.name}: no fact-free variant for {channel}")
    tiny = raw["tiny"]
    if (
        not isinstance(tiny, str)
        or not tiny.endswith("?")
        or tiny.count("?") != 1
        or len(tiny.split()) > TINY_MAX_WORDS
        or len(tiny) > TINY_MAX_CHARS
    ):
        raise TemplateError(f"{where}.tiny: one short question, at most 5 words and 20 chars")
    subject = _variants(f"{where}.subject", raw["subject"])
    if not any(not v.needs for v in subject):
        raise TemplateError(f"{where}.subject: needs a variant that uses no fact")
    return StrategyTemplates(tuple(slots), subject, tiny)


def _channel(cid: str, raw: Any) -> ChannelTemplates:
    where = f"channels.{cid}"
    names = {"greeting", "signoff", "closing", "greeting_sep", "question_sep", "signoff_sep"}
    _keys(where, raw, names, names)
    greeting = _variants(f"{where}.greeting", raw["greeting"])
    if not any(not v.needs for v in greeting):
        raise TemplateError(f"{where}.greeting: needs a variant that uses no fact")
    seps = [raw[k] for k in ("greeting_sep", "question_sep", "signoff_sep")]
    if not all(isinstance(s, str) and s and not s.strip() for s in seps):
        raise TemplateError(f"{where}: separators must be whitespace")
    return ChannelTemplates(
        greeting=greeting,
        signoff=_variants(f"{where}.signoff", raw["signoff"]),
        closing=_variants(f"{where}.closing", raw["closing"]),
        greeting_sep=seps[0],
        question_sep=seps[1],
        signoff_sep=seps[2],
    )


def parse_templates(raw: Mapping[str, Any]) -> Templates:
    """Validate the parsed TOML document."""
    _keys(
        "templates.toml",
        raw,
        {"meta", "channels", "strategies"},
        {"meta", "channels", "strategies"},
    )
    meta = raw["meta"]
    _keys("meta", meta, {"version"}, {"version"})
    if not isinstance(meta["version"], int):
        raise TemplateError("meta.version must be an integer")
    strategies, channels = raw["strategies"], raw["channels"]
    _keys("strategies", strategies, set(STRATEGY_IDS), set(STRATEGY_IDS))
    _keys("channels", channels, set(CHANNELS), set(CHANNELS))
    return Templates(
        version=meta["version"],
        strategies={sid: _strategy(sid, strategies[sid]) for sid in STRATEGY_IDS},
        channels={cid: _channel(cid, channels[cid]) for cid in CHANNELS},
    )


@cache
def load_templates(path: Path = TEMPLATES_PATH) -> Templates:
    """The validated catalogue (read once per process)."""
    return parse_templates(tomllib.loads(path.read_text(encoding="utf-8")))
