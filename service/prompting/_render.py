"""Render the chat messages for a rewrite and for its repair round.

Everything that comes from the request (the draft, the context facts, the
seller's notes, the prospect's own words) is quoted inside `<<<DATA ...>>>`
fences and any fence-like or answer-tag-like text inside it is neutralised,
so pasted text cannot close the fence or fake an answer block. The system
prompt tells the model that fenced text is data, never instructions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from service.budget import LengthBudget
from service.llm._port import ChatMessage
from service.models import Analysis, Channel, Context, Finding, Message, StrategyId
from service.prompting._loader import Example, PromptSet

MAX_EXAMPLES = 2
MAX_NOTES_CHARS = 1500
MAX_PROSPECT_MESSAGES = 3
MAX_PROSPECT_MESSAGE_CHARS = 600
MAX_DRAFT_CHARS = 4000
MAX_PREVIOUS_ANSWER_CHARS = 4000
MAX_EXCERPT_CHARS = 160
DRAFT_FINDINGS_NOT_SHOWN = frozenset({"invented_fact"})

_LT, _GT = "\u2039", "\u203a"  # single angle quotation marks: look alike, parse as text
_ANGLE_RUN = re.compile(r"<{2,}|>{2,}")
_ANSWER_TAG = re.compile(r"<(?=\s*/?\s*(?:subject|body|changes|answer)\s*>)", re.IGNORECASE)


def neutralise(text: str) -> str:
    """Make quoted text unable to close a data fence or open an answer block."""
    text = _ANGLE_RUN.sub(lambda m: (_LT if m.group()[0] == "<" else _GT) * len(m.group()), text)
    return _ANSWER_TAG.sub(_LT, text)


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else text[:limit]
    return f"{cut} [...cut]"


def fence(label: str, text: str) -> str:
    """One quoted data block."""
    return f"<<<DATA {label}>>>\n{neutralise(text.strip())}\n<<<END DATA>>>"


def _facts(context: Context | None, nothing: str) -> str:
    lines: list[str] = []
    c = context or Context()
    if p := c.prospect:
        lines += [
            f"prospect {k}: {v}"
            for k, v in (("name", p.name), ("company", p.company), ("role", p.role))
            if v
        ]
    if c.goal:
        lines.append(f"their goal: {c.goal}")
    if s := c.sender:
        lines += [
            f"sender {k}: {v}"
            for k, v in (
                ("name", s.name),
                ("company", s.company),
                ("offer (keep in the background)", s.offer),
            )
            if v
        ]
    if h := c.history:
        if h.touches_since_reply is not None:
            lines.append(f"messages sent since their last reply: {h.touches_since_reply}")
        if h.days_since_reply is not None:
            lines.append(f"days since their last reply: {h.days_since_reply}")
        if h.stage:
            lines.append(f"deal stage: {h.stage}")
        lines.append(f"agreed next step: {h.agreed_next_step or 'none'}")
    return fence("facts", "\n".join(lines) if lines else nothing)


def _untrusted(context: Context | None, none: str) -> str:
    blocks: list[str] = []
    if context and context.notes:
        blocks.append(fence("seller_notes", _clip(context.notes, MAX_NOTES_CHARS)))
    if context and context.prospect_messages:
        recent = context.prospect_messages[-MAX_PROSPECT_MESSAGES:]
        blocks += [
            fence(f"prospect_message {i}", _clip(m, MAX_PROSPECT_MESSAGE_CHARS))
            for i, m in enumerate(recent, 1)
        ]
    return "\n".join(blocks) if blocks else none


def _draft(draft: Message) -> str:
    text = _clip(draft.body, MAX_DRAFT_CHARS)
    if draft.subject:
        text = f"subject: {draft.subject}\n\n{text}"
    return fence("draft", text)


def _findings(findings: Sequence[Finding], *, empty: str) -> str:
    if not findings:
        return empty
    lines = []
    # Errors first: they must be fixed; warnings are improvements.
    for f in sorted(findings, key=lambda f: (f.severity != "error", f.start, f.rule)):
        excerpt = neutralise(_clip(" ".join(f.excerpt.split()), MAX_EXCERPT_CHARS))
        where = f' (at "{excerpt}")' if excerpt else ""
        lines.append(f"- {f.rule} [{f.severity}, principle {f.principle}]: {f.message}{where}")
    return "\n".join(lines)


def _pick_examples(
    examples: Sequence[Example], strategy: StrategyId, channel: Channel, limit: int
) -> str:
    ranked = sorted(
        range(len(examples)),
        key=lambda i: (examples[i].strategy != strategy, examples[i].channel != channel, i),
    )
    parts = []
    for i in ranked[: max(limit, 0)]:
        ex = examples[i]
        parts.append(
            f"Example (strategy {ex.strategy}, channel {ex.channel})\n"
            f"Situation: {ex.situation}\nDraft:\n{ex.draft}\nAnswer:\n{ex.answer}"
        )
    return "\n\n".join(parts)


def render_rewrite(
    prompts: PromptSet,
    *,
    strategy: StrategyId,
    draft: Message,
    context: Context | None,
    analysis: Analysis,
    budget: LengthBudget,
    max_examples: int = MAX_EXAMPLES,
) -> list[ChatMessage]:
    """The system and user messages asking for one rewrite of `draft`.

    `max_examples` worked examples go into the system prompt (same strategy
    first, then same channel); 0 saves about 500 prompt tokens, which matters
    for very small local models.
    """
    channel = draft.channel
    strings = prompts.rewrite.strings
    # The draft's own facts are not invented: the model may keep them, so that
    # finding is not passed on (the guard checks the output against the draft).
    findings = [f for f in analysis.findings if f.rule not in DRAFT_FINDINGS_NOT_SHOWN]
    serious = any(f.severity == "error" for f in findings)
    system = prompts.system.render(
        {"examples": _pick_examples(prompts.examples, strategy, channel, max_examples)}
    )
    user = prompts.rewrite.render(
        {
            "strategy_id": strategy,
            "strategy_guidance": prompts.strategies[strategy].render({}).strip(),
            "channel": channel,
            "channel_guidance": prompts.channels[channel].render({}).strip(),
            "budget": budget.describe(),
            "edit_scope": strings["rewrite" if serious else "polish"],
            "findings": _findings(findings, empty=strings["no_findings"]),
            "facts": _facts(context, strings["nothing_known"]),
            "untrusted": _untrusted(context, strings["no_quotes"]),
            "draft": _draft(draft),
        }
    )
    return [
        {"role": "system", "content": system.strip()},
        {"role": "user", "content": user.strip()},
    ]


def render_repair(
    prompts: PromptSet,
    *,
    previous_messages: Sequence[ChatMessage],
    previous_answer_text: str,
    findings: list[Finding],
    budget: LengthBudget,
) -> list[ChatMessage]:
    """The conversation so far, the rejected answer, and a request to fix exactly `findings`."""
    user = prompts.repair.render(
        {
            "findings": _findings(findings, empty=prompts.repair.strings["no_findings"]),
            "budget": budget.describe(),
        }
    )
    return [
        *previous_messages,
        {"role": "assistant", "content": _clip(previous_answer_text, MAX_PREVIOUS_ANSWER_CHARS)},
        {"role": "user", "content": user.strip()},
    ]
