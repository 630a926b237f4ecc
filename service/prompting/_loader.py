"""Load and validate the prompt files in `prompts/`.

Prompts are data: every file declares its version and the variables it uses,
and is checked when loaded, so a typo in a placeholder fails at start-up (or
in CI), not in the middle of a request. The prompt version is a hash of the
content of every file, so any edit to any template changes it: cached answers
and eval recordings are keyed on it.
"""

from __future__ import annotations

import hashlib
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from service.models import CHANNELS, STRATEGY_IDS, Channel, StrategyId
from service.prompting._answer import MalformedAnswer, parse_answer

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
VERSION_LENGTH = 12

_META_KEYS = frozenset({"version", "description", "variables"})
_TEMPLATE_TOP_KEYS = frozenset({"meta", "prompt", "strings"})
# Fixed phrases the renderer picks between, kept with their template.
_REQUIRED_STRINGS = {
    "rewrite.toml": frozenset({"rewrite", "polish", "no_findings", "nothing_known", "no_quotes"}),
    "repair.toml": frozenset({"no_findings"}),
}
_EXAMPLE_KEYS = frozenset({"strategy", "channel", "situation", "draft", "answer"})


class PromptError(Exception):
    """Base class for every prompt problem."""


class PromptFileInvalid(PromptError):
    """A prompt file does not follow the schema (unknown key, bad placeholder, ...)."""


class PromptVariableMissing(PromptError):
    """A template was rendered without a value for one of its declared variables."""

    def __init__(self, template: str, names: list[str]) -> None:
        super().__init__(f"{template}: no value for {', '.join(names)}")
        self.template = template
        self.names = names


class PromptVariableUnknown(PromptError):
    """A template was given a value it does not declare (a caller bug)."""


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """One validated template: `$name` placeholders, each declared in `meta.variables`."""

    name: str
    version: int
    description: str
    variables: tuple[str, ...]
    text: str
    strings: Mapping[str, str] = field(default_factory=dict)

    def render(self, values: Mapping[str, str]) -> str:
        """Fill every declared variable; missing or undeclared values are errors."""
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise PromptVariableMissing(self.name, missing)
        unknown = sorted(set(values) - set(self.variables))
        if unknown:
            raise PromptVariableUnknown(f"{self.name}: undeclared {', '.join(unknown)}")
        return string.Template(self.text).substitute(values)


@dataclass(frozen=True, slots=True)
class Example:
    """A worked draft -> answer pair shown to the model."""

    strategy: StrategyId
    channel: Channel
    situation: str
    draft: str
    answer: str


@dataclass(frozen=True, slots=True)
class PromptSet:
    """Every prompt the pipeline renders, plus the version that identifies them."""

    version: str
    directory: Path
    system: PromptTemplate
    rewrite: PromptTemplate
    repair: PromptTemplate
    strategies: Mapping[StrategyId, PromptTemplate]
    channels: Mapping[Channel, PromptTemplate]
    examples: tuple[Example, ...]


def _placeholders(name: str, text: str) -> set[str]:
    found: set[str] = set()
    for match in string.Template.pattern.finditer(text):
        if match.group("invalid") is not None:
            line = text[: match.start()].count("\n") + 1
            raise PromptFileInvalid(f"{name}: a lone '$' on line {line} (write '$$')")
        ident = match.group("named") or match.group("braced")
        if ident:
            found.add(ident)
    return found


def _require_keys(name: str, where: str, got: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(got) - allowed)
    if unknown:
        raise PromptFileInvalid(f"{name}: unknown key(s) in {where}: {', '.join(unknown)}")


def _meta(name: str, raw: Mapping[str, Any]) -> tuple[int, str, tuple[str, ...]]:
    meta = raw.get("meta")
    if not isinstance(meta, dict):
        raise PromptFileInvalid(f"{name}: a [meta] table is required")
    _require_keys(name, "[meta]", meta, _META_KEYS)
    version, description = meta.get("version"), meta.get("description")
    variables = meta.get("variables", [])
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise PromptFileInvalid(f"{name}: meta.version must be a positive integer")
    if not isinstance(description, str) or not description.strip():
        raise PromptFileInvalid(f"{name}: meta.description is required")
    if not isinstance(variables, list) or not all(
        isinstance(v, str) and v.isidentifier() for v in variables
    ):
        raise PromptFileInvalid(f"{name}: meta.variables must be a list of identifiers")
    if len(set(variables)) != len(variables):
        raise PromptFileInvalid(f"{name}: meta.variables has duplicates")
    return version, description, tuple(variables)


def _read_toml(path: Path, root: Path) -> tuple[str, dict[str, Any]]:
    name = path.relative_to(root).as_posix()
    try:
        return name, tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PromptFileInvalid(f"{name}: {exc}") from exc


def load_template(path: Path, root: Path | None = None) -> PromptTemplate:
    """Read one template file and check it against the schema."""
    name, raw = _read_toml(path, root or path.parent)
    _require_keys(name, "the file", raw, _TEMPLATE_TOP_KEYS)
    version, description, variables = _meta(name, raw)
    prompt = raw.get("prompt")
    if not isinstance(prompt, dict):
        raise PromptFileInvalid(f"{name}: a [prompt] table is required")
    _require_keys(name, "[prompt]", prompt, frozenset({"text"}))
    text = prompt.get("text")
    if not isinstance(text, str) or not text.strip():
        raise PromptFileInvalid(f"{name}: prompt.text must be a non-empty string")
    used = _placeholders(name, text)
    undeclared = sorted(used - set(variables))
    if undeclared:
        raise PromptFileInvalid(f"{name}: undeclared placeholder(s): {', '.join(undeclared)}")
    unused = sorted(set(variables) - used)
    if unused:
        raise PromptFileInvalid(f"{name}: declared but unused variable(s): {', '.join(unused)}")
    strings = raw.get("strings", {})
    if not isinstance(strings, dict) or not all(
        isinstance(v, str) and v.strip() for v in strings.values()
    ):
        raise PromptFileInvalid(f"{name}: [strings] holds non-empty strings only")
    for key, value in strings.items():
        if _placeholders(f"{name} strings.{key}", value):
            raise PromptFileInvalid(f"{name}: strings.{key} cannot hold placeholders")
    required = _REQUIRED_STRINGS.get(name, frozenset())
    if missing := sorted(required - set(strings)):
        raise PromptFileInvalid(f"{name}: [strings] lacks {', '.join(missing)}")
    return PromptTemplate(name, version, description, variables, text, dict(strings))


def _load_examples(path: Path, root: Path) -> tuple[Example, ...]:
    name, raw = _read_toml(path, root)
    _require_keys(name, "the file", raw, frozenset({"meta", "examples"}))
    _, _, variables = _meta(name, raw)
    if variables:
        raise PromptFileInvalid(f"{name}: examples take no variables")
    entries = raw.get("examples")
    if not isinstance(entries, list) or not entries:
        raise PromptFileInvalid(f"{name}: at least one [[examples]] entry is required")
    examples: list[Example] = []
    for i, entry in enumerate(entries):
        where = f"examples[{i}]"
        _require_keys(name, where, entry, _EXAMPLE_KEYS)
        if set(entry) != _EXAMPLE_KEYS or not all(isinstance(v, str) for v in entry.values()):
            raise PromptFileInvalid(f"{name}: {where} needs string {sorted(_EXAMPLE_KEYS)}")
        if entry["strategy"] not in STRATEGY_IDS:
            raise PromptFileInvalid(f"{name}: {where} has unknown strategy {entry['strategy']!r}")
        if entry["channel"] not in CHANNELS:
            raise PromptFileInvalid(f"{name}: {where} has unknown channel {entry['channel']!r}")
        examples.append(Example(**{k: v.strip() for k, v in entry.items()}))
    return tuple(examples)


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.toml") if p.is_file())


def _version(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in _files(directory):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:VERSION_LENGTH]


def _keyed(directory: Path, sub: str, ids: tuple[str, ...]) -> dict[str, PromptTemplate]:
    found = {p.stem: p for p in (directory / sub).glob("*.toml")}
    missing = sorted(set(ids) - set(found))
    extra = sorted(set(found) - set(ids))
    if missing or extra:
        raise PromptFileInvalid(f"{sub}/: missing {missing}, unexpected {extra}")
    return {key: load_template(found[key], directory) for key in ids}


def _load(directory: Path) -> PromptSet:
    if not directory.is_dir():
        raise PromptFileInvalid(f"no prompt directory at {directory}")
    strategies: dict[Any, PromptTemplate] = _keyed(directory, "strategies", STRATEGY_IDS)
    channels: dict[Any, PromptTemplate] = _keyed(directory, "channels", CHANNELS)
    prompts = PromptSet(
        version=_version(directory),
        directory=directory,
        system=load_template(directory / "system.toml", directory),
        rewrite=load_template(directory / "rewrite.toml", directory),
        repair=load_template(directory / "repair.toml", directory),
        strategies=strategies,
        channels=channels,
        examples=_load_examples(directory / "examples.toml", directory),
    )
    _check_examples(prompts)
    return prompts


def _check_examples(prompts: PromptSet) -> None:
    """Every worked example must itself parse: a broken example teaches a broken format."""
    for i, example in enumerate(prompts.examples):
        try:
            parse_answer(example.answer, example.channel)
        except MalformedAnswer as exc:
            raise PromptFileInvalid(f"examples.toml: examples[{i}] answer: {exc}") from exc


def _snapshot(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and mtimes: an edited file gives a new cache key."""
    return tuple(
        (p.as_posix(), (st := p.stat()).st_size, st.st_mtime_ns) for p in _files(directory)
    )


@lru_cache(maxsize=8)
def _load_cached(directory: Path, snapshot: tuple[tuple[str, int, int], ...]) -> PromptSet:
    del snapshot  # only part of the cache key
    return _load(directory)


def load_prompts(directory: Path | None = None) -> PromptSet:
    """The validated prompt set (cached; reloaded when a file changes on disk)."""
    root = (directory or DEFAULT_PROMPTS_DIR).resolve()
    snapshot = _snapshot(root) if root.is_dir() else ()
    return _load_cached(root, snapshot)


def clear_prompt_cache() -> None:
    """Forget loaded prompt sets (tests that edit files within one mtime tick)."""
    _load_cached.cache_clear()
