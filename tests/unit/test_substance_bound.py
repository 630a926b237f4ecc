"""The cheap substance bound holds every item the full editor keeps.

The pipeline checks a model answer against `substance_bound` (no analyses)
and runs the full editor only when the answer misses one of its items
(service/editor/_bound.py). That gives the same verdict as checking the
editor's kept items only if they are a subset of the bound: these tests check
that on every draft of the labelled analyzer dataset and the preserve suite,
with the strategy the plan picks and with every strategy on the preserve
drafts, and that the pipeline's verdict on an answer is the exact one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest

from service.editor import find_items
from service.models import RewriteRequest, StrategyId
from service.pipeline._attempt import attempt
from service.pipeline._plan import Plan, make_plan

pytestmark = pytest.mark.unit

_EVALS = Path(__file__).resolve().parents[2] / "evals"


def _requests(paths: list[Path], key: str | None) -> list[RewriteRequest]:
    out: list[RewriteRequest] = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            case: dict[str, Any] = json.loads(line)
            body = case[key] if key else case
            if not isinstance(body.get("draft"), dict):
                continue
            out.append(
                RewriteRequest.model_validate(
                    {"draft": body["draft"], "context": body.get("context")}
                )
            )
    return out


def _analyzer_requests() -> list[RewriteRequest]:
    return _requests(sorted((_EVALS / "analyzer").glob("*.jsonl")), None)


def _preserve_requests() -> list[RewriteRequest]:
    return _requests([_EVALS / "preserve" / "cases.jsonl"], "request")


def _assert_subset(plan: Plan) -> tuple[int, int]:
    bound = plan.substance_bound()
    kept = plan.edit().kept_items
    outside = [item for item in kept if item not in bound]
    assert not outside, (plan.request.draft.body, outside, bound)
    return len(kept), len(bound)


def test_the_bound_holds_the_kept_items_on_the_analyzer_dataset() -> None:
    requests = _analyzer_requests()
    assert len(requests) > 1000
    checked = 0
    for request in requests:
        plan = make_plan(request)
        if plan.already_good:
            assert plan.substance_bound() == find_items(request.draft.body)
            continue
        _assert_subset(plan)
        checked += 1
    assert checked > 300


def test_the_bound_holds_the_kept_items_for_every_strategy_on_preserve_drafts() -> None:
    requests = _preserve_requests()
    assert len(requests) > 20
    strategies: tuple[StrategyId, ...] = get_args(StrategyId)
    with_items = 0
    for request in requests:
        base = make_plan(request)
        if base.already_good:
            continue
        for strategy in strategies:
            plan = make_plan(request)
            plan.strategy = plan.strategy.model_copy(update={"id": strategy})
            kept, _ = _assert_subset(plan)
            with_items += kept > 0
    assert with_items > 20  # the suite is about drafts whose items must survive


def _answers(plan: Plan) -> list[str]:
    """The editor's own message, and the same with each bound item taken out in turn."""
    message = plan.edit().message
    texts = [message.body]
    for dropped in plan.substance_bound():
        text = message.body
        for item in find_items(text):
            if item.key == dropped.key:
                text = text.replace(item.text, "")
        texts.append(text)
    subject = f"<subject>{message.subject}</subject>\n" if message.subject else ""
    return [f"{subject}<body>\n{text}\n</body>" for text in texts]


def test_the_two_step_check_gives_the_exact_verdict_on_preserve_drafts() -> None:
    accepted = lost = 0
    for request in _preserve_requests():
        plan = make_plan(request)
        if plan.already_good:
            continue
        bound = list(plan.substance_bound())  # before the exact list is cached
        exact = plan.edit().kept_items
        for answer in _answers(plan):
            common: dict[str, Any] = {
                "draft": request.draft,
                "context": request.context,
                "budget": plan.budget,
            }
            two_step = attempt(
                answer,
                "stop",
                substance=bound,
                exact_substance=lambda exact=exact: exact,
                **common,
            )
            direct = attempt(answer, "stop", substance=exact, **common)
            assert (two_step.accepted, two_step.failure, two_step.problems) == (
                direct.accepted,
                direct.failure,
                direct.problems,
            )
            accepted += direct.accepted
            lost += direct.failure.startswith("lost")
    # Both outcomes are exercised.
    assert accepted > 10
    assert lost > 10
