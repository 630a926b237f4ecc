"""Prompt files -> chat messages, and the model's tagged answer -> a message.

`PROMPT_VERSION` is the version of the default prompt set (a hash of every
file in `prompts/`), computed on first access.
"""

from __future__ import annotations

from service.prompting._answer import (
    BodyStreamExtractor,
    MalformedAnswer,
    ParsedAnswer,
    parse_answer,
)
from service.prompting._loader import (
    DEFAULT_PROMPTS_DIR,
    Example,
    PromptError,
    PromptSet,
    PromptTemplate,
    PromptVariableMissing,
    PromptVariableUnknown,
    clear_prompt_cache,
    load_prompts,
)
from service.prompting._render import fence, neutralise, render_repair, render_rewrite

__all__ = [
    "DEFAULT_PROMPTS_DIR",
    "PROMPT_VERSION",
    "BodyStreamExtractor",
    "Example",
    "MalformedAnswer",
    "ParsedAnswer",
    "PromptError",
    "PromptSet",
    "PromptTemplate",
    "PromptVariableMissing",
    "PromptVariableUnknown",
    "clear_prompt_cache",
    "fence",
    "load_prompts",
    "neutralise",
    "parse_answer",
    "render_repair",
    "render_rewrite",
]


def __getattr__(name: str) -> str:
    if name == "PROMPT_VERSION":
        return load_prompts().version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
