"""Recordings: what a key covers, replay vs record, and stale recordings becoming unmeasured."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from service.evals._harness import Setup, run_model
from service.evals._pipeline_suites import score_rewrite
from service.evals._recording import (
    CaseRecording,
    RecordingChatModel,
    RecordingMissing,
    RecordingStore,
    recording_key,
)
from service.evals._results import REFRESH_COMMAND
from service.llm import ChatMessage, FakeChatModel, ModelError, ModelParams
from service.models import RewriteRequest
from service.prompting import DEFAULT_PROMPTS_DIR, clear_prompt_cache, load_prompts
from tests.conftest import GOOD_ANSWER

pytestmark = pytest.mark.unit

MESSAGES: list[ChatMessage] = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]


def key(**change: object) -> str:
    args: dict[str, object] = {
        "prompt_version": "v1",
        "messages": MESSAGES,
        "model": "m",
        "params": ModelParams(),
    }
    args.update(change)
    return recording_key(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"prompt_version": "v2"},
        {"messages": [*MESSAGES[:1], {"role": "user", "content": "u2"}]},
        {"model": "other"},
        {"params": ModelParams(max_tokens=100)},
        {"params": ModelParams(temperature=0.9)},
        {"params": ModelParams(seed=8)},
    ],
)
def test_every_input_of_a_call_is_part_of_its_key(change: dict[str, object]) -> None:
    assert key(**change) != key()


def test_the_key_is_stable() -> None:
    assert key() == key()


async def test_record_then_replay_gives_the_same_answer(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    recording = CaseRecording("rewrites", "c1")
    recorder = RecordingChatModel(
        mode="record",
        name="m",
        prompt_version="v1",
        recording=recording,
        inner=FakeChatModel(["recorded text"]),
    )
    first = await recorder.complete(MESSAGES, params=ModelParams())
    recording.model, recording.prompt_version = "m", "v1"
    store.save(recording)

    loaded = store.load("rewrites", "c1")
    assert loaded is not None
    replayer = RecordingChatModel(mode="replay", name="m", prompt_version="v1", recording=loaded)
    again = await replayer.complete(MESSAGES, params=ModelParams())
    assert again.text == first.text == "recorded text"
    saved = json.loads(store.path("rewrites", "c1").read_text())
    assert saved["model"] == "m"  # every recording says which model produced it
    assert saved["prompt_version"] == "v1"


async def test_a_replay_miss_is_not_a_model_error_and_is_remembered() -> None:
    recording = CaseRecording("rewrites", "c1", model="m", prompt_version="v0")
    replayer = RecordingChatModel(mode="replay", name="m", prompt_version="v1", recording=recording)
    with pytest.raises(RecordingMissing) as caught:
        await replayer.complete(MESSAGES, params=ModelParams())
    # Not a ModelError: the pipeline must not fall back to the composer and "pass".
    assert not isinstance(caught.value, ModelError)
    assert len(replayer.misses) == 1


def request() -> RewriteRequest:
    return RewriteRequest.model_validate(
        {
            "draft": {
                "channel": "email",
                "subject": "Checking in",
                "body": "Hi Dana, I've reached out three times and haven't heard back. "
                "Are you ready to move forward? Reply YES to sign.",
            },
            "context": {
                "prospect": {"name": "Dana Miles", "company": "Miles Outfitters"},
                "goal": "keep stock balanced across three new stores",
                "notes": "she said weekly transfers between stores eat her Mondays",
                "history": {"touches_since_reply": 1, "days_since_reply": 6},
                "sender": {"name": "Chris", "company": "Stockwise"},
            },
        }
    )


def rewrite_case() -> object:
    from service.evals._cases import RewriteCase

    return RewriteCase.model_validate(
        {
            "id": "c1",
            "note": "n",
            "request": request().model_dump(mode="json"),
            "expect": {"strategy": "value_nudge", "keep": ["Dana"]},
        }
    )


async def test_editing_a_prompt_file_makes_the_recorded_case_unmeasured(tmp_path: Path) -> None:
    prompts_dir = tmp_path / "prompts"
    shutil.copytree(DEFAULT_PROMPTS_DIR, prompts_dir)
    store = RecordingStore(tmp_path / "recordings")
    params = ModelParams(max_tokens=200, temperature=0.0, seed=7)
    # GOOD_ANSWER twice: enough for a first answer and a repair round.
    recorder = Setup(
        "record",
        load_prompts(prompts_dir),
        params,
        store,
        "fake-model",
        inner=FakeChatModel([GOOD_ANSWER, GOOD_ANSWER], name="fake-model"),
    )
    recorded = await run_model(recorder, "rewrites", "c1", request())
    assert recorded.response is not None
    assert store.path("rewrites", "c1").is_file()

    replay = Setup("replay", load_prompts(prompts_dir), params, store, "fake-model")
    measured = await run_model(replay, "rewrites", "c1", request())
    assert not measured.unmeasured
    assert measured.response is not None
    assert measured.response.rewrite.body == recorded.response.rewrite.body

    system = prompts_dir / "system.toml"
    system.write_text(system.read_text().replace("plain and warm", "plain, warm"))
    clear_prompt_cache()
    stale = Setup("replay", load_prompts(prompts_dir), params, store, "fake-model")
    assert stale.prompts.version != replay.prompts.version
    run = await run_model(stale, "rewrites", "c1", request())
    assert run.response is None
    assert "stale recording" in run.unmeasured
    assert stale.prompts.version in run.unmeasured
    result = score_rewrite(rewrite_case(), run, {})  # type: ignore[arg-type]
    assert result.status == "unmeasured"
    assert REFRESH_COMMAND in result.reason
    assert not result.checks  # nothing was counted as passed or failed


async def test_a_case_without_any_recording_is_unmeasured(tmp_path: Path) -> None:
    setup = Setup("replay", load_prompts(), ModelParams(), RecordingStore(tmp_path), "m")
    run = await run_model(setup, "rewrites", "never-recorded", request())
    assert run.unmeasured == "no recording for this case"


async def test_recording_again_reuses_fresh_calls_and_replaces_stale_ones(tmp_path: Path) -> None:
    prompts_dir = tmp_path / "prompts"
    shutil.copytree(DEFAULT_PROMPTS_DIR, prompts_dir)
    store = RecordingStore(tmp_path / "recordings")
    path = store.path("rewrites", "c1")

    def recorder(*answers: str) -> Setup:
        return Setup(
            "record",
            load_prompts(prompts_dir),
            ModelParams(),
            store,
            "fake-model",
            inner=FakeChatModel(list(answers), name="fake-model"),
        )

    await run_model(recorder(GOOD_ANSWER, GOOD_ANSWER), "rewrites", "c1", request())
    saved = path.read_text()
    # Nothing changed: no model call at all (an empty fake would raise), file untouched.
    again = await run_model(recorder(), "rewrites", "c1", request())
    assert again.response is not None
    assert path.read_text() == saved

    system = prompts_dir / "system.toml"
    system.write_text(system.read_text().replace("plain and warm", "plain, warm"))
    clear_prompt_cache()
    fresh = recorder(GOOD_ANSWER, GOOD_ANSWER)
    await run_model(fresh, "rewrites", "c1", request())
    data = json.loads(path.read_text())
    assert data["prompt_version"] == fresh.prompts.version
    keys_now = {c["key"] for c in data["calls"]}
    keys_before = {c["key"] for c in json.loads(saved)["calls"]}
    assert keys_now.isdisjoint(keys_before)  # the stale calls were dropped


async def test_a_failing_live_call_while_recording_is_unmeasured_not_a_composer_pass(
    tmp_path: Path,
) -> None:
    from service.llm import ModelUnavailable

    store = RecordingStore(tmp_path)
    setup = Setup(
        "record",
        load_prompts(),
        ModelParams(),
        store,
        "m",
        inner=FakeChatModel([ModelUnavailable("timed out")], name="m"),
    )
    run = await run_model(setup, "rewrites", "c1", request())
    assert run.unmeasured.startswith("the live model call failed (ModelUnavailable")
    assert run.response is None
    assert not store.path("rewrites", "c1").exists()
