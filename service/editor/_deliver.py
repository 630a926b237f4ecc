"""What the editor delivers: the rep's edited message, or a composed one in the rep's frame.

When every sentence of the draft was an offence, the composer writes from the
context; the rep's own greeting and sign-off are kept around it wherever the
result still passes the check.
"""

from __future__ import annotations

from service.analysis_memo import analyze
from service.budget import LengthBudget
from service.composer import compose
from service.editor._changes import PRINCIPLE_OF_MOVE
from service.editor._edit import (
    EditResult,
    _kept,
    _names,
    _signers,
    edit_body,
)
from service.editor._parse import find_frame
from service.editor._subject import edited_subject
from service.guard import blocking_findings
from service.models import Analysis, Change, Context, Message, StrategyId


def edit(
    draft: Message,
    *,
    context: Context | None,
    strategy: StrategyId,
    budget: LengthBudget,
    before: Analysis,
    seed: str | None = None,
    variant: int = 0,
) -> EditResult:
    """The rep's message made tactful; the composer (in the rep's frame) when nothing is kept.

    `seed` picks among the phrasings of the strategy's move (the draft itself by default),
    so callers can ask for distinct variants of the same edit; `variant` asks the
    composer for its n-th alternative when it writes the message.
    """
    result = edit_body(
        draft, context=context, strategy=strategy, budget=budget, before=before, seed=seed
    )
    if result.kept_content:
        return result

    def write(within: LengthBudget) -> Message:
        return compose(
            strategy=strategy,
            channel=draft.channel,
            context=context,
            draft=draft,
            budget=within,
            variant=variant,
        )

    composed = write(budget)
    framed = _in_rep_frame(composed, draft, context)
    if framed is not None:
        # The rep's own greeting and sign-off may be longer: leave the composer room for them.
        extra_chars = len(framed.body) - len(composed.body)
        extra_words = len(framed.body.split()) - len(composed.body.split())
        if extra_chars > 0 or extra_words > 0:
            tighter = LengthBudget(
                max_words=None
                if budget.max_words is None
                else max(5, budget.max_words - max(0, extra_words)),
                max_chars=None
                if budget.max_chars is None
                else max(20, budget.max_chars - max(0, extra_chars)),
            )
            smaller = write(tighter)
            framed = _in_rep_frame(smaller, draft, context) or framed
        analysis = analyze(framed, context=context, original=draft, budget=budget)
        if not blocking_findings(analysis):
            composed = framed
    seen = list(result.changes)
    subject = edited_subject(draft, context, strategy, seen) if draft.channel == "email" else None
    if subject is not None:
        candidate = composed.model_copy(update={"subject": subject})
        analysis = analyze(candidate, context=context, original=draft, budget=budget)
        if not blocking_findings(analysis):
            composed = candidate
    changes = seen or [
        Change(
            rule=None, principle=PRINCIPLE_OF_MOVE[strategy], before=draft.body, after=composed.body
        )
    ]
    return EditResult(
        composed, changes, kept_items=_kept(draft.body, composed.body), kept_content=False
    )


def _in_rep_frame(composed: Message, draft: Message, context: Context | None) -> Message | None:
    """The composed message with the rep's own greeting and sign-off, where the draft had them."""
    names, signers = _names(context), _signers(context)
    mine = find_frame(draft.body, names, signers)
    theirs = find_frame(composed.body, names, signers)
    greeting = draft.body[: mine.greeting_end].strip() if mine.greeting_end else None
    signoff = (
        draft.body[mine.signoff_start :].strip() if mine.signoff_start < len(draft.body) else None
    )
    if greeting is None and signoff is None:
        return None
    middle = composed.body[theirs.greeting_end : theirs.signoff_start].strip()
    head = greeting if greeting is not None else composed.body[: theirs.greeting_end].strip()
    tail = signoff if signoff is not None else composed.body[theirs.signoff_start :].strip()
    gap = "\n\n" if draft.channel == "email" else ("\n" if "\n" in draft.body else " ")
    if gap == " " and head.endswith(",") and middle[:1].isupper():
        # "Hey Chris, things may have ..." (a capital after the comma would read as a name).
        first = middle.split(" ", 1)[0]
        if first != "I" and not first.startswith("I'"):
            middle = middle[0].lower() + middle[1:]
    body = gap.join(part for part in (head, middle, tail) if part)
    return composed.model_copy(update={"body": body})
