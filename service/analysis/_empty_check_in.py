"""empty_check_in: contact with no new value ("just checking in", "circling back")."""

from __future__ import annotations

from service.analysis._matcher import all_anchors, lexicons
from service.analysis._patterns import make_finding, matches
from service.analysis._text import Doc
from service.models import Finding, Severity


def find_empty_check_in(doc: Doc) -> list[Finding]:
    """An error when the message offers nothing else; a warning next to real value."""
    lex = lexicons()["empty_check_in"]
    hits = matches(lex, doc)
    if not hits:
        return []
    has_value = lex.value.search(doc.norm, present=doc.present(all_anchors()))
    if has_value:
        hits = [h for h in hits if not h[0].excused_by_value]
    severity: Severity = "warning" if has_value else "error"
    message = (
        "A check-in phrase next to real value: lead with the value and drop the check-in."
        if has_value
        else lex.file.message
    )
    return [make_finding(lex, doc, s, e, message, severity=severity) for _, s, e in hits]
