"""One model answer, parsed and guarded: the acceptance test the evals share."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from service.budget import LengthBudget
from service.editor import Item, missing_items
from service.guard import check
from service.models import Analysis, Context, Finding, Message
from service.prompting import MalformedAnswer, ParsedAnswer, parse_answer

# An already-good draft may be polished, not rewritten: the edit must keep at
# least this share of the draft's wording (difflib ratio over words).
LIGHT_EDIT_MIN_SIMILARITY = 0.6


@dataclass(frozen=True, slots=True)
class Attempt:
    """The verdict on one answer: accepted with its analysis, or the problems to repair."""

    parsed: ParsedAnswer | None
    analysis: Analysis | None
    problems: tuple[Finding, ...] = ()
    failure: str = ""  # why it failed, in a few words ("" when accepted)

    @property
    def accepted(self) -> bool:
        return self.parsed is not None and self.analysis is not None


def parsed_message(parsed: ParsedAnswer, draft: Message) -> Message:
    """The answer as a message on the draft's channel (an email keeps the draft's subject)."""
    subject = parsed.subject if draft.channel == "email" else None
    if draft.channel == "email" and not subject:
        subject = draft.subject
    return Message(channel=draft.channel, subject=subject, body=parsed.body)


def attempt(
    text: str,
    finish_reason: str | None,
    *,
    draft: Message,
    context: Context | None,
    budget: LengthBudget,
    light_edit_of: str | None = None,
    substance: list[Item] | None = None,
    exact_substance: Callable[[], list[Item]] | None = None,
) -> Attempt:
    """Parse and guard one answer.

    Args:
        text: The model's raw answer.
        finish_reason: The model's finish reason; "length" means cut off.
        draft: The original draft (its channel, subject and facts).
        context: What is known about the buyer.
        budget: The length budget the answer must fit.
        light_edit_of: For an already-good draft, its body: the answer must
            then keep most of its wording.
        substance: The draft's items (links, figures, contacts) that were not the
            offence; an answer that loses one fails with a `lost_substance` finding.
        exact_substance: When `substance` is a cheap superset of the items that matter
            (`service.editor.substance_bound`), the exact list, computed only when the
            answer misses an item of the superset (the verdict is the same as checking
            the exact list alone).
    """
    if finish_reason == "length":
        problem = _synthetic("too_long", "The answer was cut off: write a shorter message.")
        return Attempt(None, None, (problem,), "cut off (finish_reason=length)")
    try:
        parsed = parse_answer(text, draft.channel)
    except MalformedAnswer as exc:
        problem = _synthetic("format", f"The answer did not follow the format: {exc}")
        return Attempt(None, None, (problem,), f"malformed: {exc}")
    try:
        candidate = parsed_message(parsed, draft)
    except ValidationError:  # a subject or body over the API's field limits
        problem = _synthetic("too_long", "The subject or body is far too long: write less.")
        return Attempt(None, None, (problem,), "over the field limits")
    result = check(candidate, context=context, original=draft, budget=budget)
    if not result.passed:
        rules = ", ".join(sorted({f.rule for f in result.blocking}))
        return Attempt(None, None, result.blocking, f"blocked: {rules}")
    text_sent = f"{candidate.subject or ''}\n{candidate.body}"
    # Nothing to keep (the bound is empty, so is the exact list): nothing can be lost.
    lost = missing_items(substance, text_sent) if substance else []
    if lost and exact_substance is not None:
        lost = missing_items(exact_substance(), text_sent)
    if lost:
        problems = tuple(_lost(item) for item in lost)
        return Attempt(None, None, problems, "lost: " + ", ".join(i.text for i in lost))
    if (
        light_edit_of is not None
        and _similarity(light_edit_of, candidate.body) < LIGHT_EDIT_MIN_SIMILARITY
    ):
        return Attempt(None, None, (), "changed too much")
    return Attempt(parsed, result.analysis)


def _synthetic(rule: str, message: str) -> Finding:
    return Finding(
        rule=rule,
        severity="error",
        principle="value_and_next_step",
        message=message,
        start=0,
        end=0,
        excerpt="",
    )


def _lost(item: Item) -> Finding:
    return Finding(
        rule="lost_substance",
        severity="error",
        principle="accuracy",
        message=(
            f"The draft's {item.kind} \u201c{item.text}\u201d is missing: keep it exactly as the "
            "rep wrote it."
        ),
        start=0,
        end=0,
        excerpt=item.text,
    )


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()
