"""The schema of the prompt files in `prompts/` (pydantic, unknown keys rejected).

A template file has a `[meta]` table (version, description, the variables it
uses), a `[prompt]` table with the text, and optional `[strings]`, fixed
phrases the renderer picks between. `examples.toml` has a `[meta]` table that
declares no variables and one `[[examples]]` entry per worked example.
"""

from __future__ import annotations

import string
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints, field_validator, model_validator

from service.datafile import Strict
from service.models import Channel, StrategyId

NonEmpty = Annotated[str, StringConstraints(pattern=r"\S")]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


def placeholders(text: str) -> set[str]:
    """The `$name` placeholders of `text`; a lone `$` is an error."""
    found: set[str] = set()
    for match in string.Template.pattern.finditer(text):
        if match.group("invalid") is not None:
            line = text[: match.start()].count("\n") + 1
            raise ValueError(f"a lone '$' on line {line} (write '$$')")
        ident = match.group("named") or match.group("braced")
        if ident:
            found.add(ident)
    return found


class Meta(Strict):
    """`[meta]`: what the file is and which variables its text uses."""

    version: Annotated[StrictInt, Field(ge=1)]
    description: NonEmpty
    variables: tuple[Identifier, ...] = ()

    @field_validator("variables")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("has duplicates")
        return value


class PromptText(Strict):
    """`[prompt]`: the template text."""

    text: NonEmpty


class TemplateFile(Strict):
    """One template file: every placeholder declared, every declared variable used."""

    meta: Meta
    prompt: PromptText
    strings: dict[str, NonEmpty] = Field(default_factory=dict)

    @field_validator("strings")
    @classmethod
    def _no_placeholders(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if placeholders(text):
                raise ValueError(f"{key!r} cannot hold placeholders")
        return value

    @model_validator(mode="after")
    def _declared(self) -> TemplateFile:
        used = placeholders(self.prompt.text)
        if undeclared := sorted(used - set(self.meta.variables)):
            raise ValueError(f"undeclared placeholder(s): {', '.join(undeclared)}")
        if unused := sorted(set(self.meta.variables) - used):
            raise ValueError(f"declared but unused variable(s): {', '.join(unused)}")
        return self


class ExampleEntry(Strict):
    """One `[[examples]]` entry: a worked draft -> answer pair."""

    strategy: StrategyId
    channel: Channel
    situation: str
    draft: str
    answer: str


class ExamplesFile(Strict):
    """`examples.toml`: at least one example; its `[meta]` declares no variables."""

    meta: Meta
    examples: Annotated[tuple[ExampleEntry, ...], Field(min_length=1)]

    @field_validator("meta")
    @classmethod
    def _no_variables(cls, value: Meta) -> Meta:
        if value.variables:
            raise ValueError("examples take no variables")
        return value
