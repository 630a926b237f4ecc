"""One-click fixes for findings, in the spirit of LanguageTool's `replacements`.

Each suggestion replaces `body[start:end]` with `text` ("" deletes). The range
may be wider than the finding's own span: cutting "I've emailed three times"
out of its sentence would leave a broken one, so the fix covers the clause
or sentence the editor would cut. Applying every suggestion of a draft gives
what the editor itself does before it adds the strategy's move.
"""

from __future__ import annotations

from bisect import bisect_right

from service.editor._cuts import _CUT_WARNINGS, _NOT_CUT, ASK_RULES, _sentence_cut
from service.editor._edit import _names
from service.editor._fixes import _local_fix
from service.editor._moves import question_for
from service.editor._parse import find_frame, sentences
from service.models import Analysis, Context, Finding, Message, StrategyId, Suggestion

# Bounds that keep /v1/analyze linear on pathological input (docs/analyzer.md,
# "Bounded work"): clause-level fixes only in sentences of a sane length, and
# fixes for the first findings only (a draft with more has bigger problems).
MAX_CLAUSE_SENTENCE = 600
MAX_SUGGESTED = 60


def _fixable(finding: Finding) -> bool:
    return finding.rule not in _NOT_CUT and (
        finding.severity == "error" or finding.rule in _CUT_WARNINGS
    )


def suggest(
    draft: Message, analysis: Analysis, *, context: Context | None, strategy: StrategyId
) -> Analysis:
    """The analysis with `suggestions` on every finding that has a deterministic fix."""
    body = draft.body
    frame = find_frame(body, _names(context))
    spans = sentences(body, frame.greeting_end, frame.signoff_start)
    question = question_for(strategy, draft.channel, body)
    starts = [s for s, _ in spans]
    findings: list[Finding] = []
    for index, finding in enumerate(analysis.findings):
        fixes: list[Suggestion] = []
        if index < MAX_SUGGESTED and _fixable(finding):
            local = _local_fix(finding, context)
            at = bisect_right(starts, finding.start) - 1
            span = spans[at] if at >= 0 and finding.start < spans[at][1] else None
            if local is not None:
                fixes.append(Suggestion(start=finding.start, end=finding.end, text=local))
            elif span is not None:
                replacement = question if finding.rule in ASK_RULES else ""
                if span[1] - span[0] > MAX_CLAUSE_SENTENCE:
                    # A run-on "sentence" this long is not a sentence: offer to drop it whole.
                    start, end, text = span[0], span[1], replacement
                else:
                    start, end, text = _sentence_cut(body, span, [finding], replacement)
                fixes.append(Suggestion(start=start, end=end, text=text))
        findings.append(finding.model_copy(update={"suggestions": fixes}) if fixes else finding)
    return analysis.model_copy(update={"findings": findings})
