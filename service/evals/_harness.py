"""Run one request through the real pipeline on each eval path.

- model path: the `Rewriter` talks to a `RecordingChatModel` (replay offline,
  or a live model when recording). A missing recording -> unmeasured.
- fallback path: the `Rewriter` has no model, so every answer comes from the
  composer (or the kept draft). Deterministic, always measured: it is what
  users receive whenever the model is down or fails the guard twice.
- fixture path: a `FakeChatModel` plays HAND-WRITTEN answers, to prove the
  guard stops them. Never evidence of model quality.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.budget import LengthBudget, budget_for
from service.evals._recording import (
    CaseRecording,
    Mode,
    RecordingChatModel,
    RecordingMissing,
    RecordingStore,
    params_json,
    utc_now,
)
from service.guard import GuardResult, check
from service.llm import ChatModel, FakeChatModel, ModelAnswer, ModelParams
from service.models import RewriteRequest, RewriteResponse
from service.pipeline import Rewriter, attempt
from service.prompting import PromptSet

MANIFEST = "MANIFEST.json"


@dataclass(slots=True)
class Setup:
    """Everything the pipeline paths need, fixed for one run."""

    mode: Mode
    prompts: PromptSet
    params: ModelParams
    store: RecordingStore
    model_name: str  # the recorded model (replay) or the live one
    inner: ChatModel | None = None
    command: str = "tactful evals run --record"


@dataclass(slots=True)
class PathRun:
    path: str
    response: RewriteResponse | None = None
    unmeasured: str = ""  # reason, when the case could not be measured
    error: str = ""  # an exception the pipeline let escape
    seconds: float = 0.0
    first_answer: ModelAnswer | None = None
    answers: list[ModelAnswer] = field(default_factory=list)
    recording: CaseRecording | None = None  # model path: where judge calls are kept too


def budget_of(request: RewriteRequest) -> LengthBudget:
    return budget_for(request.draft.channel, request.options)


def guard_delivered(request: RewriteRequest, response: RewriteResponse) -> GuardResult:
    """Re-check what the user receives, independently of what the pipeline reported."""
    return check(
        response.rewrite, context=request.context, original=request.draft, budget=budget_of(request)
    )


def raw_answer_passes(request: RewriteRequest, answer: ModelAnswer) -> tuple[bool, str]:
    """Model quality: did this raw answer pass the guard as it was, before any repair?"""
    verdict = attempt(
        answer.text,
        answer.finish_reason,
        draft=request.draft,
        context=request.context,
        budget=budget_of(request),
    )
    return verdict.accepted, verdict.failure


async def _timed(rewriter: Rewriter, request: RewriteRequest, run: PathRun) -> None:
    started = time.perf_counter()
    try:
        run.response = await rewriter.rewrite(request)
    except RecordingMissing as miss:
        run.unmeasured = miss.reason
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"
    run.seconds = time.perf_counter() - started


async def run_fallback(setup: Setup, request: RewriteRequest) -> PathRun:
    run = PathRun("fallback")
    await _timed(Rewriter(model=None, prompts=setup.prompts, params=setup.params), request, run)
    return run


async def run_fixture(setup: Setup, request: RewriteRequest, answers: list[str]) -> PathRun:
    padded = answers + [answers[-1]] * (3 - len(answers))
    model = FakeChatModel(padded, name="hand-written-fixture")
    run = PathRun("fixture")
    await _timed(Rewriter(model=model, prompts=setup.prompts, params=setup.params), request, run)
    return run


async def run_model(setup: Setup, suite: str, case_id: str, request: RewriteRequest) -> PathRun:
    recording = setup.store.load(suite, case_id) if setup.mode != "live" else None
    if recording is None:
        recording = CaseRecording(suite, case_id)
    model = RecordingChatModel(
        mode=setup.mode,
        name=setup.model_name,
        prompt_version=setup.prompts.version,
        recording=recording,
        inner=setup.inner,
    )
    rewriter = Rewriter(model=model, prompts=setup.prompts, params=setup.params)
    run = PathRun("model")
    await _timed(rewriter, request, run)
    if model.misses and not run.unmeasured:
        run.unmeasured = model.misses[0].reason
    if model.failures and not run.unmeasured:
        # The pipeline hid the failure behind the composer; the model was not measured.
        run.unmeasured = f"the live model call failed ({model.failures[0]})"
    if run.unmeasured:
        run.response = None
    run.answers = list(model.answers)
    run.first_answer = model.answers[0] if model.answers else None
    run.recording = recording
    if setup.mode == "record" and not run.error:
        save_recording(setup, recording)
    return run


def save_recording(setup: Setup, recording: CaseRecording) -> None:
    """Write the case's recording if this run added or dropped calls (else leave it as is)."""
    pruned = recording.prune()
    if not recording.added and not pruned:
        return
    recording.added = 0
    recording.model = setup.model_name
    recording.prompt_version = setup.prompts.version
    recording.recorded_at = utc_now()
    recording.command = setup.command
    setup.store.save(recording)


# ----------------------------------------------------------------- manifest


def write_manifest(setup: Setup, endpoint: str) -> Path:
    """Describe the recording set as a whole: which model, params and prompt version."""
    path = setup.store.root / MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "model": setup.model_name,
        "endpoint": endpoint,
        "params": params_json(setup.params),
        "prompt_version": setup.prompts.version,
        "recorded_at": utc_now(),
        "command": setup.command,
    }
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return path


def read_manifest(root: Path) -> dict[str, Any] | None:
    path = root / MANIFEST
    if not path.is_file():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    return raw if isinstance(raw, dict) else None
