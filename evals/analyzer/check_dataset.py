"""Validate the analyzer dataset (evals/analyzer/*.jsonl) and print its coverage.

Why: the eval suite trusts these labels; a typo in a rule id, a draft that
does not validate, or a "clean" draft over its budget would silently skew
precision and recall. Run: `.venv/bin/python evals/analyzer/check_dataset.py`.
Exits non-zero on any error; coverage shortfalls are errors too.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from service.budget import resolve_budget
from service.models import CHANNELS, RULE_IDS, Context, Message

HERE = Path(__file__).resolve().parent
MIN_TOTAL, MIN_CLEAN, MIN_INDUSTRIES, MIN_PER_RULE = 150, 35, 8, 8
CASE_KEYS = {"id", "industry", "channel", "draft", "context", "original", "expect", "clean", "note"}
# Three word counts an analyzer might plausibly use; budgets must hold under all of them.
_WORD_PATTERNS = (re.compile(r"\S+"), re.compile(r"[\w'\u2019-]+"), re.compile(r"\w+"))
_HARD_NEG = re.compile(r"hard negative for ([a-z_/ ,]+)")


def word_counts(text: str) -> list[int]:
    return [len(p.findall(text)) for p in _WORD_PATTERNS]


def within_budget(channel: str, body: str) -> bool | None:
    """True/False when every counting method agrees; None when they disagree."""
    budget = resolve_budget(channel)  # type: ignore[arg-type]
    if budget.max_chars is not None:
        return len(body) <= budget.max_chars
    limit = budget.max_words if budget.max_words is not None else sys.maxsize
    verdicts = {n <= limit for n in word_counts(body)}
    return verdicts.pop() if len(verdicts) == 1 else None


def check_case(case: dict[str, Any], errors: list[str]) -> None:
    cid = case.get("id", "?")
    if set(case) != CASE_KEYS:
        errors.append(f"{cid}: keys {sorted(set(case) ^ CASE_KEYS)} missing or unexpected")
        return
    if case["channel"] not in CHANNELS or case["draft"].get("channel") != case["channel"]:
        errors.append(f"{cid}: channel mismatch or invalid")
    Message.model_validate(case["draft"])
    if case["context"] is not None:
        Context.model_validate(case["context"])
    if case["original"] is not None:
        Message.model_validate(case["original"])
    fire, quiet = case["expect"]["fire"], case["expect"]["quiet"]
    errors.extend(f"{cid}: unknown rule {r}" for r in [*fire, *quiet] if r not in RULE_IDS)
    if set(fire) & set(quiet):
        errors.append(f"{cid}: rule both fire and quiet: {set(fire) & set(quiet)}")
    body = case["draft"]["body"]
    fits = within_budget(case["channel"], body)
    if case["clean"]:
        if fire:
            errors.append(f"{cid}: clean case with fire labels")
        if case["context"] is None:
            errors.append(f"{cid}: clean case needs a context")
        if fits is not True:
            errors.append(f"{cid}: clean case over (or at the edge of) its budget")
        if not any(
            s in body.lower()
            for s in (
                "?",
                "let me know",
                "reply",
                "just say",
                "tell me",
                "text me",
                "call me",
                "ring me",
                "drop me",
                "send me",
                "text back",
                "text the",
                "text or call",
                "call whenever",
            )
        ):
            errors.append(f"{cid}: clean case without a question or 'let me know' step")
    if "too_long" in fire and fits is not False:
        errors.append(f"{cid}: too_long positive is not clearly over budget")
    if "too_long" in quiet and fits is not True:
        errors.append(f"{cid}: too_long negative is not clearly within budget")
    # changed_party compares names with the context's prospect and sender;
    # private_detail reads the seller's notes: neither can fire without a context.
    context_rules = {"not_personalized", "changed_party", "private_detail", "wrong_language"}
    needs_context = bool(context_rules & set(fire)) or (
        "invented_fact" in fire and case["original"] is None
    )
    if needs_context and case["context"] is None:
        errors.append(f"{cid}: context-aware rule fires without context/original")


def main() -> int:
    errors: list[str] = []
    cases: list[dict[str, Any]] = []
    for path in sorted(HERE.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                cases.append(json.loads(line))
            except json.JSONDecodeError as exc:
                errors.append(f"{path.name}:{n}: {exc}")
    ids = Counter(c.get("id") for c in cases)
    errors += [f"duplicate id {i}" for i, k in ids.items() if k > 1]
    for case in cases:
        try:
            check_case(case, errors)
        except Exception as exc:  # report every bad case, not just the first
            errors.append(f"{case.get('id')}: {exc}")
    fire = Counter(r for c in cases for r in c["expect"]["fire"])
    quiet = Counter(r for c in cases for r in c["expect"]["quiet"])
    clean_quiet = Counter(r for c in cases if c["clean"] for r in RULE_IDS)
    hard: Counter[str] = Counter()
    for c in cases:
        for m in _HARD_NEG.finditer(c["note"]):
            hard.update(r for r in re.split(r"[ ,/]+|and", m.group(1)) if r in RULE_IDS)
    clean = sum(1 for c in cases if c["clean"])
    industries = Counter(c["industry"] for c in cases)
    channels = Counter(c["channel"] for c in cases)
    multi_error = sum(1 for c in cases if "calibration" in c["note"])
    print(f"cases {len(cases)}  clean {clean}  calibration {multi_error}")
    print("channels", dict(channels))
    print("industries", dict(industries))
    print(f"{'rule':22} fire quiet(+clean) hard-neg")
    for rule in RULE_IDS:
        q = quiet[rule] + clean_quiet[rule]
        print(f"{rule:22} {fire[rule]:4} {quiet[rule]:4}(+{clean_quiet[rule]}) {hard[rule]:4}")
        if fire[rule] < MIN_PER_RULE or hard[rule] < MIN_PER_RULE or q < MIN_PER_RULE:
            errors.append(f"coverage: {rule} fire={fire[rule]} hard_negatives={hard[rule]}")
    if len(cases) < MIN_TOTAL or clean < MIN_CLEAN or len(industries) < MIN_INDUSTRIES:
        errors.append("coverage: total, clean or industry count below the minimum")
    for e in errors:
        print("ERROR", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
