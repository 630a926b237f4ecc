"""The deterministic composer: the fallback writer when the model cannot be used."""

from __future__ import annotations

from service.composer._compose import compose, fits
from service.composer._facts import Facts, extract_facts
from service.composer._templates import Templates, load_templates, parse_templates

__all__ = [
    "Facts",
    "Templates",
    "compose",
    "extract_facts",
    "fits",
    "load_templates",
    "parse_templates",
]
