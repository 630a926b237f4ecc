"""The 0-100 score. See docs/analyzer.md for the formula and why it is calibrated.

score = 100 - error_penalty - min(WARNING_CAP, warning_penalty)

An error costs 25 the first time a rule fires and 15 for each repeat; a
warning 8, then 2 per repeat, and all warnings together at most 35. So any
draft without errors scores >= 65 and any draft with two or more error
findings scores <= 60: a clean draft always outscores it.
"""

from __future__ import annotations

from collections import Counter

from service.models import Finding

ERROR_FIRST = 25
ERROR_REPEAT = 15
WARNING_FIRST = 8
WARNING_REPEAT = 2
WARNING_CAP = 35


def score(findings: list[Finding]) -> int:
    errors = Counter(f.rule for f in findings if f.severity == "error")
    warnings = Counter(f.rule for f in findings if f.severity == "warning" and f.rule not in errors)
    error_penalty = sum(ERROR_FIRST + ERROR_REPEAT * (n - 1) for n in errors.values())
    warning_penalty = sum(WARNING_FIRST + WARNING_REPEAT * (n - 1) for n in warnings.values())
    return max(0, 100 - error_penalty - min(WARNING_CAP, warning_penalty))
