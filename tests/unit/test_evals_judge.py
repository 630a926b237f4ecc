"""The optional LLM judge: vote parsing, the at-least-k rule, and recorded votes."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.evals._harness import PathRun, Setup
from service.evals._judge import Judge, Rubric, load_rubric, parse_vote, vote_passes
from service.evals._recording import CaseRecording, RecordingStore
from service.evals._results import CaseResult
from service.evals._runner import DEFAULT_EVALS_DIR
from service.llm import FakeChatModel, ModelParams
from service.prompting import load_prompts
from tests.unit.test_evals_recording import request

pytestmark = pytest.mark.unit


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric(DEFAULT_EVALS_DIR / "judge" / "rubric.toml")


def vote(rubric: Rubric, score: int, *, skip: int = 0) -> str:
    ids = [cid for cid, _ in rubric.criteria]
    return "\n".join(f"{cid}: {score}" for cid in ids[skip:])


def test_a_vote_needs_every_criterion(rubric: Rubric) -> None:
    assert parse_vote(rubric, vote(rubric, 4)) == {cid: 4 for cid, _ in rubric.criteria}
    assert parse_vote(rubric, vote(rubric, 4, skip=1)) is None
    assert not vote_passes(rubric, None)


def test_a_vote_passes_on_its_mean_and_floor(rubric: Rubric) -> None:
    good = parse_vote(rubric, vote(rubric, 4))
    assert vote_passes(rubric, good)
    assert good is not None
    one_bad = {**good, rubric.criteria[0][0]: 1}
    assert not vote_passes(rubric, one_bad)  # below the floor, whatever the mean


def model_run(rewriter_answer: str, recording: CaseRecording) -> PathRun:
    from service.models import Analysis, Message, Metrics, RewriteResponse, StrategyChoice, Usage

    analysis = Analysis(
        score=90,
        strategy="value_nudge",
        findings=[],
        metrics=Metrics(words=3, sentences=1, questions=1, reading_grade=3, you_me_ratio=1),
    )
    message = Message(channel="email", subject="s", body=rewriter_answer)
    response = RewriteResponse(
        id="x",
        strategy=StrategyChoice(id="value_nudge", reason="r"),
        rewrite=message,
        variants=[message],
        changes=[],
        before=analysis,
        after=analysis,
        verdict="rewritten",
        source="model",
        model="m",
        prompt_version="p",
        usage=Usage(),
        latency_ms=1.0,
    )
    return PathRun("model", response=response, recording=recording)


async def judged(setup: Setup, rubric: Rubric, recording: CaseRecording) -> dict[str, object]:
    result = CaseResult("rewrites", "c1", "model", "pass")
    await Judge(setup, rubric)(
        "rewrites", "c1", request(), model_run("Hi, how?", recording), result
    )
    details: dict[str, object] = result.details["judge"]
    return details


@pytest.mark.parametrize(("scores", "status"), [((5, 1, 4), "pass"), ((5, 1, 1), "fail")])
async def test_at_least_k_of_n_votes_decide_and_votes_replay(
    tmp_path: Path, rubric: Rubric, scores: tuple[int, ...], status: str
) -> None:
    assert (rubric.repeats, rubric.at_least) == (3, 2)  # the rule these cases spell out
    store = RecordingStore(tmp_path)
    inner = FakeChatModel([vote(rubric, s) for s in scores], name="m")
    recording = CaseRecording("rewrites", "c1")
    recorder = Setup("record", load_prompts(), ModelParams(), store, "m", inner=inner)
    first = await judged(recorder, rubric, recording)
    assert first["status"] == status
    assert {c.purpose for c in recording.calls} == {"judge"}

    loaded = store.load("rewrites", "c1")
    assert loaded is not None
    replayer = Setup("replay", load_prompts(), ModelParams(), store, "m")
    assert await judged(replayer, rubric, loaded) == first


async def test_missing_judge_votes_are_unmeasured(tmp_path: Path, rubric: Rubric) -> None:
    replayer = Setup("replay", load_prompts(), ModelParams(), RecordingStore(tmp_path), "m")
    details = await judged(replayer, rubric, CaseRecording("rewrites", "c1"))
    assert details["status"] == "unmeasured"
