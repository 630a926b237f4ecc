"""The analyzer: every rule in the catalogue, metrics, a calibrated score.

Deterministic, no I/O after the first call (lexicons are loaded and compiled
once), fast enough to run on every keystroke pause. Rules and their phrases
live in `lexicons/<rule>.toml`; docs/analyzer.md explains them and the score.
"""

from __future__ import annotations

from service.analysis._bounds import bound_context, bound_original
from service.analysis._catalogue import RuleInfo, rules_catalogue, severities
from service.analysis._changed_party import find_changed_party
from service.analysis._degenerate import find_degenerate, hidden_findings
from service.analysis._disparagement import find_disparagement
from service.analysis._empty_check_in import find_empty_check_in
from service.analysis._fact_extract import extract as extract_facts
from service.analysis._invented_fact import find_invented
from service.analysis._language import find_wrong_language
from service.analysis._matcher import compile_all as compile_lexicons
from service.analysis._metrics import compute as compute_metrics
from service.analysis._no_next_step import find_no_next_step
from service.analysis._normalize import Normalised, normalise, normalise_scope
from service.analysis._not_personalized import find_not_personalized
from service.analysis._patterns import pattern_rule
from service.analysis._private_detail import find_private_detail
from service.analysis._scope import request_scope
from service.analysis._score import score as score_findings
from service.analysis._self_centered import find_self_centered
from service.analysis._text import prepare
from service.analysis._their_world import excuse as excuse_their_world
from service.analysis._too_long import find_too_long
from service.budget import LengthBudget, resolve_budget
from service.models import Analysis, Context, Finding, Message
from service.quoting import own_part
from service.strategies import suggest_strategy

__all__ = [
    "RULES",
    "RuleInfo",
    "analyze",
    "compile_lexicons",
    "name_words",
    "request_scope",
    "rule_severities",
    "score_findings",
]

# Rules that are plain lexicon matches (phrases + negation + sentence exemptions).
_PATTERN_RULES = (
    "guilt_trip",
    "false_urgency",
    "desperate_discount",
    "sales_pitch_meeting",
    "pushy_close",
    "blames_prospect",
    "jargon",
    "placeholder",
    "prompt_disclosure",
    "phishing_bait",
)

RULES: tuple[RuleInfo, ...] = rules_catalogue()


def rule_severities() -> dict[str, str]:
    """Default severity per rule id (the guard decides what blocks)."""
    return dict(severities())


def _as_author_notes(found: list[Finding], original: Message | None, body: str) -> list[Finding]:
    """A draft judged on its own: the rep's own facts are theirs, not invented.

    `invented_fact` judges rewrites against the text they came from. Without an
    original, a fact missing from the context is only an `info` note to check it,
    one per distinct fact (a phone number is one note, not one per part).
    """
    if original is not None:
        return found
    found = _join_number_parts(sorted(found, key=lambda f: f.start), body)
    notes: list[Finding] = []
    seen: set[str] = set()
    for finding in found:
        key = "".join(ch for ch in finding.excerpt.lower() if ch.isalnum())
        if any(key in other or other in key for other in seen):
            continue
        seen.add(key)
        notes.append(
            finding.model_copy(
                update={
                    "severity": "info",
                    "message": (
                        f"\u201c{finding.excerpt}\u201d is not in the context you gave: "
                        "check it is right before sending."
                    ),
                }
            )
        )
    return notes


def _join_number_parts(found: list[Finding], body: str) -> list[Finding]:
    """Adjacent digit groups ("555" and "0143" of 555-0143) are one fact, so one finding.

    Linear: a run of joined parts is gathered first and copied once (joining part
    by part re-sliced the growing excerpt: quadratic on a body of digit soup).
    """
    runs: list[tuple[Finding, int, str, bool]] = []  # first part, end, last char, joined
    for finding in found:
        if runs:
            first, end, tail, _ = runs[-1]
            if 0 <= finding.start - end <= 2 and tail.isdigit() and finding.excerpt[:1].isdigit():
                stop = min(finding.end, len(body))
                runs[-1] = (first, finding.end, body[max(first.start, stop - 1) : stop], True)
                continue
        runs.append((finding, finding.end, finding.excerpt[-1:], False))
    return [
        first.model_copy(update={"end": end, "excerpt": body[first.start : end]})
        if joined
        else first
        for first, end, _, joined in runs
    ]


def analyze(
    draft: Message,
    *,
    context: Context | None = None,
    original: Message | None = None,
    budget: LengthBudget | None = None,
) -> Analysis:
    """Analyze one message. Deterministic, no I/O, no model.

    Every rule runs on the normalised body (_normalize.py: compatibility forms,
    hidden controls, look-alike letters and defanged links undone); each
    finding is then mapped back so its offsets index `draft.body` as sent. The
    quoted thread under a reply is not read (`service.quoting.own_part`).
    """
    # The quoted thread under a reply is history, not the rep's message (quoting.py).
    draft = own_part(draft, original)
    with normalise_scope():  # each distinct text is normalised once per analysis
        return _analyze(draft, context, original, budget or resolve_budget(draft.channel))


def _analyze(
    draft: Message, context: Context | None, original: Message | None, budget: LengthBudget
) -> Analysis:
    # Supporting text past the work budget vouches for nothing (_bounds.py).
    given, context, original = context, bound_context(context), bound_original(original)
    norm = normalise(draft.body)
    doc = prepare(norm.text)
    findings: list[Finding] = []
    self_centered = find_self_centered(doc, context)
    findings += self_centered
    for rule_id in _PATTERN_RULES:
        findings += pattern_rule(rule_id, doc)
    findings = excuse_their_world(findings, doc, context, original)
    findings += find_empty_check_in(doc)
    findings += find_no_next_step(doc)
    findings += find_too_long(doc, budget)
    findings += _as_author_notes(find_invented(doc, context, original), original, doc.raw)
    findings += find_not_personalized(doc, context, self_centered)
    findings += find_changed_party(doc, context)
    findings += find_disparagement(doc, context)
    findings += find_private_detail(doc, context, original)
    findings += find_wrong_language(doc, context, original)
    findings += find_degenerate(doc)
    findings = [_to_original(f, norm) for f in findings] + hidden_findings(norm)
    findings.sort(key=lambda f: (f.start, f.end, f.rule))
    return Analysis(
        score=score_findings(findings),
        strategy=suggest_strategy(given, frozenset(f.rule for f in findings), draft.body).id,
        findings=findings,
        metrics=compute_metrics(doc, budget),
    )


def name_words(text: str) -> frozenset[str]:
    """The words of the proper names in `text`, lower-cased, as `invented_fact` reads them.

    A name is a run of capitalised words that are neither a sentence's plain
    opener nor a common word ("Freshdesk", "Dana Whitfield", "Reno-Sacramento"
    gives "reno" and "sacramento"). The editor uses it to tell a clause that
    carries a named thing from one that only carries the offence.
    """
    with normalise_scope():
        doc = prepare(normalise(text).text)
        return frozenset(
            key[2:] for fact in extract_facts(doc) if fact.kind == "name" for key in fact.keys
        )


def _to_original(finding: Finding, norm: Normalised) -> Finding:
    """A finding on the normalised text, with offsets and excerpt in the original body."""
    if norm.starts is None:
        return finding
    start, end = norm.span(finding.start, finding.end)
    if end <= start:
        # A finding about the whole message when normalising left nothing of it (a body
        # of hidden characters only, "\u00ad"): it covers the body as sent, never an
        # empty span (found by the property test of spans).
        start, end = 0, len(norm.original)
    return finding.model_copy(
        update={"start": start, "end": end, "excerpt": norm.original[start:end]}
    )
