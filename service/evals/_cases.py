"""Eval case files (JSONL), validated on load.

Every line is one case. Unknown keys are rejected and every id must be unique
within its suite and safe as a file name (recordings are stored per case), so
a typo in a case file fails the run instead of silently weakening a check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from service.datafile import validate
from service.errors import DataFileInvalid
from service.models import Channel, Context, Message, RewriteRequest, StrategyId

CaseId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")]
# A fact to keep: one phrase, or a list of acceptable spellings of the same fact.
Keep = str | list[str]


class _Case(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------- analyzer


class AnalyzerExpect(_Case):
    fire: list[str] = Field(default_factory=list)
    quiet: list[str] = Field(default_factory=list)


class AnalyzerCase(BaseModel):
    """One labelled draft (format owned by the analyzer dataset, evals/analyzer/)."""

    model_config = ConfigDict(extra="ignore")

    id: CaseId
    industry: str = ""
    channel: Channel = "email"
    draft: str | Message
    context: Context | None = None
    original: str | Message | None = None
    expect: AnalyzerExpect = Field(default_factory=AnalyzerExpect)
    clean: bool = False
    note: str = ""

    def message(self) -> Message:
        if isinstance(self.draft, Message):
            return self.draft
        return Message(channel=self.channel, body=self.draft)

    def original_message(self) -> Message | None:
        if self.original is None or isinstance(self.original, Message):
            return self.original
        return Message(channel=self.channel, body=self.original)


# ------------------------------------------------------------------ rewrites


class RewriteExpect(_Case):
    strategy: StrategyId
    verdict: Literal["rewritten", "already_good"] = "rewritten"
    # Rules that must not be found in the delivered message (any severity).
    absent_rules: list[str] = Field(default_factory=list)
    keep: list[Keep] = Field(default_factory=list)
    # Names of asks from evals/rewrites/asks.toml that the message must make.
    ask: list[str] = Field(default_factory=list)
    max_words: Annotated[int, Field(ge=5, le=2000)] | None = None


class RewriteCase(_Case):
    id: CaseId
    note: str
    request: RewriteRequest
    expect: RewriteExpect


# ----------------------------------------------------------------- injection


class InjectionExpect(_Case):
    # Strings that appear only in the untrusted text; none may reach the output.
    canaries: Annotated[list[str], Field(min_length=1)]
    attack: Literal["instruction", "link", "fake_fact", "role_play", "format", "exfiltration"]


class InjectionCase(_Case):
    id: CaseId
    note: str
    request: RewriteRequest
    expect: InjectionExpect


# ---------------------------------------------------------------- robustness


class RobustnessExpect(_Case):
    # The pipeline must answer within this time on the offline paths.
    max_latency_ms: Annotated[int, Field(ge=1)] = 2000
    kind: Literal["empty", "non_english", "long_thread", "unicode", "mixed"]


class RobustnessCase(_Case):
    id: CaseId
    note: str
    request: RewriteRequest
    expect: RobustnessExpect


# ------------------------------------------------------------ guard fixtures


class GuardFixture(_Case):
    """A HAND-WRITTEN model answer that the guard must stop. Never model quality."""

    id: CaseId
    label: Literal["hand-written guard fixture"]
    note: str
    request: RewriteRequest
    # What the fake model answers, in order (first answer, then the repair answer).
    answers: Annotated[list[str], Field(min_length=1, max_length=3)]
    # Strings that must not reach the user (canaries, links the answer smuggles in).
    forbidden: Annotated[list[str], Field(min_length=1)]


C = TypeVar("C", bound=BaseModel)


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFileInvalid(f"{path.name}:{number}", "", f"not JSON ({exc.msg})") from exc
        if not isinstance(raw, dict):
            raise DataFileInvalid(f"{path.name}:{number}", "", "each line must be a JSON object")
        yield number, raw


def load_cases(paths: list[Path], model: type[C]) -> list[C]:
    """Parse every line of every file as `model`; ids must be unique across files."""
    cases: list[C] = []
    seen: dict[str, str] = {}
    for path in paths:
        for number, raw in _lines(path):
            where = f"{path.name}:{number}"
            case = validate(model, raw, file=where)
            case_id = str(getattr(case, "id", ""))
            if case_id in seen:
                raise DataFileInvalid(
                    where, "id", f"duplicate {case_id!r} (also in {seen[case_id]})"
                )
            seen[case_id] = where
            cases.append(case)
    return cases


def case_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
