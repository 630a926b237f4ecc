"""The editor's list of changes, settled against the draft and the message it returns.

The editor records a change per step: a cut, a swap, an opener or question it
adds. Later steps may edit what an earlier one wrote (the opener the editor
added is cut again when it offends; a kept clause is trimmed for length), so
the raw list can hold a `before` that was never in the draft and an `after`
that is no longer in the message. `settle` folds each such step into the
change that wrote its text, so what a client receives describes the draft as
written and the message as sent ("what changed and why", PRODUCT.md).
"""

from __future__ import annotations

from service.editor._cuts import ASK_RULES
from service.editor._tidy import tidy
from service.models import Change, Finding, Message, StrategyId

PRINCIPLE_OF_MOVE = {
    "value_nudge": "value_and_next_step",
    "learning_conversation": "learning_conversation",
    "timing_check": "their_timing",
    "reason_finding": "safe_to_say_no",
    "honest_reset": "honest_reset",
    "cost_of_delay": "real_urgency",
}


def change_for(finding: Finding, before: str, after: str) -> Change:
    return Change(rule=finding.rule, principle=finding.principle, before=before, after=after)


def addition(strategy: StrategyId, text: str) -> Change:
    principle = PRINCIPLE_OF_MOVE[strategy]
    return Change(rule=None, principle=principle, before="", after=text)


def record_learned(changes: list[Change], said: str) -> None:
    for i, change in enumerate(changes):
        if change.rule == "empty_check_in" and not change.after:
            changes[i] = change.model_copy(update={"after": said})
            return


def record_question(changes: list[Change], strategy: StrategyId, question: str, body: str) -> None:
    """The question replaces the ask that was cut where it now stands right after what
    was kept of it; placed anywhere else (before a P.S., before the callback number) it
    is recorded as the strategy's addition, so every `after` is text of the message.
    """
    for i, change in enumerate(changes):
        if change.rule in ASK_RULES and question not in change.after:
            after = f"{change.after} {question}".strip()
            if after in body:
                changes[i] = change.model_copy(update={"after": after})
                return
            break
    changes.append(addition(strategy, question))


def settle(changes: list[Change], draft: Message, sent: Message) -> list[Change]:
    """`changes` with every edit of the editor's own text folded into the change
    that wrote it; a change left with neither side is dropped.
    """
    draft_text = f"{draft.subject or ''}\n{draft.body}"
    out: list[Change] = []
    for change in changes:
        if change.before and change.before not in draft_text:
            _fold(out, change)
            continue
        out.append(change)
    sent_text = f"{sent.subject or ''}\n{sent.body}"
    settled = [_as_sent(c, sent_text) for c in out]
    return [c for c in settled if c.before or c.after]


def _as_sent(change: Change, sent_text: str) -> Change:
    """A change whose `after` no longer stands verbatim in the message, shown as it does.

    An opener that went in before it gives it a capital; one that went in inside it
    (after a spoken self-introduction) or a tidy of its spacing changes its middle:
    the span of the message from its first words to its last is what was sent. When
    neither end is left, a later step cut it, and the change is a cut.
    """
    after = change.after
    if not after or after in sent_text:
        return change
    for variant in (after[0].upper() + after[1:], after[0].lower() + after[1:]):
        if variant in sent_text:
            return change.model_copy(update={"after": variant})
    span = _span_in(after, sent_text) or _span_in(tidy(after), sent_text)
    # Nothing of it is left where it stood: a later step cut it, so the change is a cut.
    return change.model_copy(update={"after": span or ""})


_ENDS = 24  # characters of each end of an `after` looked for in the message
_GROWTH = 400  # how much longer than `after` its span in the message may be


def _span_in(after: str, text: str) -> str | None:
    """The text from where `after` starts to where it ends in `text`, if both ends are there."""
    k = min(len(after) // 2, _ENDS)
    if k < 6:
        return None
    folded = text.lower()
    if len(folded) != len(text):
        return None  # lower-casing moved offsets (rare letters): no span
    head, tail = after[:k].lower(), after[-k:].lower()
    i = folded.find(head)
    while i >= 0:
        j = folded.find(tail, i + k)
        if j >= 0 and j + k - i <= len(after) + _GROWTH:
            return text[i : j + k]
        i = folded.find(head, i + 1)
    return None


def _fold(out: list[Change], later: Change) -> None:
    """Apply `later` (an edit of text an earlier change wrote) to that earlier change."""
    for i in range(len(out) - 1, -1, -1):
        earlier = out[i]
        if later.before in earlier.after:
            after = tidy(earlier.after.replace(later.before, later.after, 1)).strip()
            out[i] = earlier.model_copy(update={"after": after})
            return
