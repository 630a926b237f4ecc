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
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from service.datafile import load_toml
from service.errors import DataFileInvalid, TactfulError
from service.models import CHANNELS, STRATEGY_IDS, Channel, StrategyId
from service.prompting._answer import MalformedAnswer, parse_answer
from service.prompting._schema import ExamplesFile, TemplateFile

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
VERSION_LENGTH = 12

# Fixed phrases the renderer picks between, kept with their template.
_REQUIRED_STRINGS = {
    "rewrite.toml": frozenset({"rewrite", "polish", "no_findings", "nothing_known", "no_quotes"}),
    "repair.toml": frozenset({"no_findings"}),
}


class PromptError(TactfulError):
    """A template was rendered with the wrong values: a bug in the caller, not in a file."""


class PromptVariableMissing(PromptError):
    """A template was rendered without a value for one of its declared variables."""

    def __init__(self, template: str, names: list[str]) -> None:
        super().__init__(f"{template}: no value for {', '.join(names)}")
        self.template = template
        self.names = names


class PromptVariableUnknown(PromptError):
    """A template was given a value it does not declare."""


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


def load_template(path: Path, root: Path | None = None) -> PromptTemplate:
    """Read one template file and check it against the schema (`_schema.TemplateFile`)."""
    name = path.relative_to(root or path.parent).as_posix()
    raw = load_toml(TemplateFile, path, file=name)
    required = _REQUIRED_STRINGS.get(name, frozenset())
    if missing := sorted(required - set(raw.strings)):
        raise DataFileInvalid(name, "strings", f"lacks {', '.join(missing)}")
    meta = raw.meta
    return PromptTemplate(
        name, meta.version, meta.description, meta.variables, raw.prompt.text, dict(raw.strings)
    )


def _load_examples(path: Path, root: Path) -> tuple[Example, ...]:
    name = path.relative_to(root).as_posix()
    raw = load_toml(ExamplesFile, path, file=name)
    return tuple(
        Example(
            strategy=e.strategy,
            channel=e.channel,
            situation=e.situation.strip(),
            draft=e.draft.strip(),
            answer=e.answer.strip(),
        )
        for e in raw.examples
    )


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
        raise DataFileInvalid(f"{sub}/", "", f"missing {missing}, unexpected {extra}")
    return {key: load_template(found[key], directory) for key in ids}


def _load(directory: Path) -> PromptSet:
    if not directory.is_dir():
        raise DataFileInvalid(str(directory), "", "no prompt directory here")
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
            raise DataFileInvalid("examples.toml", f"examples[{i}].answer", str(exc)) from exc


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
