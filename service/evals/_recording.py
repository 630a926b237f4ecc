"""Recorded model answers: replay them offline, or record them from a live model.

A call is identified by a hash of (prompt version, rendered messages, model
name, generation parameters). Any change to a prompt file, to what the
analyzer tells the model, to the model or to its parameters gives a new key,
so an old answer is never replayed for a question it did not answer. A key
that has no recording makes the case *unmeasured*: `RecordingMissing` stops
the pipeline (it is deliberately not a `ModelError`, so the composer cannot
quietly take over and turn a missing recording into a pass), and the miss is
also remembered on the model in case some caller swallows the exception.

One JSON file per case (`evals/recordings/<suite>/<case>.json`) says which
model produced it, when, against which prompt version and with which command.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from service.errors import NotFound
from service.llm import ChatMessage, ChatModel, ModelAnswer, ModelParams
from service.models import Usage

RECORDING_SCHEMA = 1
Mode = Literal["replay", "record", "live"]


class RecordingMissing(NotFound):
    """No recorded answer for this exact call: the case cannot be measured offline."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason)
        self.key = key
        self.reason = reason


def params_json(params: ModelParams) -> dict[str, Any]:
    return asdict(params)


def recording_key(
    *,
    prompt_version: str,
    messages: Sequence[ChatMessage],
    model: str,
    params: ModelParams,
) -> str:
    """The identity of one model call; any input that changes the answer changes it."""
    payload = {
        "prompt_version": prompt_version,
        "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
        "model": model,
        "params": params_json(params),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class RecordedCall:
    key: str
    purpose: str
    answer: ModelAnswer

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "purpose": self.purpose,
            "answer": {
                "text": self.answer.text,
                "finish_reason": self.answer.finish_reason,
                "model": self.answer.model,
                "usage": self.answer.usage.model_dump(),
            },
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RecordedCall:
        answer = raw["answer"]
        return cls(
            key=str(raw["key"]),
            purpose=str(raw.get("purpose", "")),
            answer=ModelAnswer(
                text=str(answer["text"]),
                finish_reason=str(answer["finish_reason"]),
                model=str(answer["model"]),
                usage=Usage.model_validate(answer.get("usage") or {}),
            ),
        )


@dataclass(slots=True)
class CaseRecording:
    """Every recorded call of one case, plus where they came from."""

    suite: str
    case_id: str
    model: str = ""
    prompt_version: str = ""
    recorded_at: str = ""
    command: str = ""
    calls: list[RecordedCall] = field(default_factory=list)
    # Bookkeeping of one run (not saved): which calls were used or added, and
    # which kinds of call ("rewrite", "judge") the run exercised.
    used: set[str] = field(default_factory=set)
    exercised: set[str] = field(default_factory=set)
    added: int = 0

    def find(self, key: str) -> RecordedCall | None:
        return next((c for c in self.calls if c.key == key), None)

    def prune(self) -> int:
        """Drop calls of an exercised kind that this run no longer makes (stale ones)."""
        before = len(self.calls)
        self.calls = [
            c for c in self.calls if c.key in self.used or _kind(c.purpose) not in self.exercised
        ]
        return before - len(self.calls)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": RECORDING_SCHEMA,
            "suite": self.suite,
            "case": self.case_id,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "recorded_at": self.recorded_at,
            "command": self.command,
            "note": "Real model output recorded by `tactful evals run --record`; do not edit.",
            "calls": [c.to_json() for c in self.calls],
        }


def _kind(purpose: str) -> str:
    return "rewrite" if purpose in ("rewrite", "repair") else purpose


class RecordingStore:
    """Reads and writes the per-case recording files under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, suite: str, case_id: str) -> Path:
        return self.root / suite / f"{case_id}.json"

    def load(self, suite: str, case_id: str) -> CaseRecording | None:
        path = self.path(suite, case_id)
        if not path.is_file():
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("schema") != RECORDING_SCHEMA:
            return None
        return CaseRecording(
            suite=suite,
            case_id=case_id,
            model=str(raw.get("model", "")),
            prompt_version=str(raw.get("prompt_version", "")),
            recorded_at=str(raw.get("recorded_at", "")),
            command=str(raw.get("command", "")),
            calls=[RecordedCall.from_json(c) for c in raw.get("calls", [])],
        )

    def save(self, recording: CaseRecording) -> Path:
        path = self.path(recording.suite, recording.case_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(recording.to_json(), ensure_ascii=False, indent=1, sort_keys=False)
        path.write_text(text + "\n", encoding="utf-8")
        return path


class RecordingChatModel:
    """A `ChatModel` that replays recorded answers, or records a live model's answers.

    - `replay`: answers come from `recording`; a miss raises `RecordingMissing`.
    - `record`: a recorded answer is reused; a miss goes to `inner` and is
      added to `recording` (so `--record` only pays for missing or stale calls).
    - `live`: every call goes to `inner`; nothing is stored.

    `purpose` labels the next calls in the recording ("rewrite", "judge", ...).
    """

    def __init__(
        self,
        *,
        mode: Mode,
        name: str,
        prompt_version: str,
        recording: CaseRecording,
        inner: ChatModel | None = None,
    ) -> None:
        if mode != "replay" and inner is None:
            raise ValueError(f"mode {mode!r} needs a live inner model")
        self._mode = mode
        self._name = name
        self._prompt_version = prompt_version
        self._inner = inner
        self.recording = recording
        self.misses: list[RecordingMissing] = []
        self.failures: list[str] = []  # live calls that raised (record / live modes)
        self.answers: list[ModelAnswer] = []  # every answer given, in order
        self.purpose = "rewrite"

    @property
    def name(self) -> str:
        return self._name

    def key(self, messages: Sequence[ChatMessage], params: ModelParams) -> str:
        return recording_key(
            prompt_version=self._prompt_version,
            messages=messages,
            model=self._name,
            params=params,
        )

    async def complete(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> ModelAnswer:
        key = self.key(messages, params)
        rec = self.recording
        found = rec.find(key) if self._mode != "live" else None
        rec.exercised.add(_kind(self.purpose))
        if found is not None:
            answer = found.answer
            rec.used.add(key)
        elif self._mode == "replay":
            miss = RecordingMissing(key, self._miss_reason())
            self.misses.append(miss)
            raise miss
        else:
            assert self._inner is not None  # noqa: S101 - checked in __init__
            try:
                answer = await self._inner.complete(messages, params=params)
            except Exception as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}"[:300])
                raise
            if self._mode == "record":
                # A conversation that already holds an answer is the repair round.
                repair = any(m["role"] == "assistant" for m in messages)
                purpose = "repair" if repair and self.purpose == "rewrite" else self.purpose
                rec.calls.append(RecordedCall(key, purpose, answer))
                rec.used.add(key)
                rec.added += 1
        self.answers.append(answer)
        return answer

    async def stream(
        self, messages: Sequence[ChatMessage], *, params: ModelParams
    ) -> AsyncIterator[str | ModelAnswer]:
        answer = await self.complete(messages, params=params)
        if answer.text:
            yield answer.text
        yield answer

    def _miss_reason(self) -> str:
        rec, kind = self.recording, _kind(self.purpose)
        if not any(_kind(c.purpose) == kind for c in rec.calls):
            return (
                "no recording for this case"
                if kind == "rewrite"
                else (f"no {kind} calls recorded for this case")
            )
        if kind == "rewrite" and rec.prompt_version and rec.prompt_version != self._prompt_version:
            return (
                f"stale recording: made with prompt version {rec.prompt_version}, "
                f"current is {self._prompt_version}"
            )
        if rec.model and rec.model != self._name:
            return f"stale recording: made with model {rec.model}, replaying as {self._name}"
        return (
            f"stale recording: this {kind} call was not recorded (the case, the analyzer's "
            "findings shown to the model, or the parameters changed)"
        )


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
