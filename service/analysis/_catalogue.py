"""The rule catalogue served by GET /v1/rules, read from the lexicon files."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict

from service.analysis._matcher import lexicons
from service.models import RULE_IDS, PrincipleId, Severity


class RuleInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    severity: Severity
    principle: PrincipleId
    title: str
    description: str
    # True for rules that only run when a context (or the original draft) is given.
    needs_context: bool = False
    # True when the guard blocks a rewrite carrying this finding whatever its severity.
    blocks_rewrites: bool = False


@cache
def rules_catalogue() -> tuple[RuleInfo, ...]:
    lex = lexicons()
    return tuple(
        RuleInfo(
            id=rule_id,
            severity=lex[rule_id].file.severity,
            principle=lex[rule_id].file.principle,
            title=lex[rule_id].file.title,
            description=lex[rule_id].file.description,
            needs_context=lex[rule_id].file.needs_context,
            blocks_rewrites=lex[rule_id].file.blocks_rewrites,
        )
        for rule_id in RULE_IDS
    )


@cache
def severities() -> dict[str, Severity]:
    """Each rule's default severity (empty_check_in drops to warning next to real value)."""
    return {r.id: r.severity for r in rules_catalogue()}
