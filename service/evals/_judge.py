"""Optional LLM-as-judge: the principles as a graded rubric (`--judge`).

The judge is asked `repeats` times per delivered message with different
seeds; the message passes when at least `at_least` verdicts pass. Every judge
call goes through the same `RecordingChatModel` as the rewrite calls, stored
in the case's recording, keyed by the rubric file's hash as prompt version:
offline runs replay the votes, a missing vote makes the judgement unmeasured.
"""

from __future__ import annotations

import hashlib
import re
import string
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from service.errors import DataFileInvalid
from service.evals._harness import PathRun, Setup, save_recording
from service.evals._recording import RecordingChatModel, RecordingMissing
from service.evals._results import CaseResult
from service.llm import ChatMessage, ModelError
from service.models import RewriteRequest
from service.prompting import neutralise

_SCORE_LINE = re.compile(r"^\W*([a-z_]+)\W*[:=-]\s*([1-5])\b", re.I | re.M)


@dataclass(frozen=True, slots=True)
class Rubric:
    version: str
    criteria: tuple[tuple[str, str], ...]  # (id, question)
    template: str
    repeats: int
    at_least: int
    pass_mean: float
    floor: int
    max_tokens: int
    temperature: float


def load_rubric(path: Path) -> Rubric:
    data = path.read_bytes()
    raw = tomllib.loads(data.decode("utf-8"))
    judge, criteria, prompt = raw["judge"], raw["criteria"], raw["prompt"]
    if not criteria or any(set(c) != {"id", "question"} for c in criteria):
        raise DataFileInvalid(path.name, "criteria", "every entry needs exactly id and question")
    rubric = Rubric(
        version="judge-" + hashlib.sha256(data).hexdigest()[:12],
        criteria=tuple((str(c["id"]), str(c["question"])) for c in criteria),
        template=str(prompt["text"]),
        repeats=int(judge["repeats"]),
        at_least=int(judge["at_least"]),
        pass_mean=float(judge["pass_mean"]),
        floor=int(judge["floor"]),
        max_tokens=int(judge["max_tokens"]),
        temperature=float(judge["temperature"]),
    )
    if not 1 <= rubric.at_least <= rubric.repeats:
        raise ValueError(f"{path.name}: need 1 <= at_least <= repeats")
    return rubric


def judge_messages(rubric: Rubric, message_text: str) -> list[ChatMessage]:
    criteria = "\n".join(f"- {cid}: {question}" for cid, question in rubric.criteria)
    text = string.Template(rubric.template).substitute(
        criteria=criteria, message=neutralise(message_text.strip())
    )
    return [{"role": "user", "content": text.strip()}]


_WORD_CHAR = re.compile(r"\w")


def score_lines(text: str) -> list[re.Match[str]]:
    r"""`_SCORE_LINE.finditer(text)`, trying each run of non-word characters once.

    The pattern opens with `\W*` at a line start, so every line start inside one run
    of non-word characters reaches the same first word with the same fate: searched
    plainly, a judge answer of 20,000 blank lines was re-read from each (5 s). A line
    start is tried unless an earlier one in the same run already failed.
    """
    out: list[re.Match[str]] = []
    pos, failed_in_run, start = 0, False, 0
    while True:
        newline = text.find("\n", start)
        line_end = len(text) if newline < 0 else newline
        if start >= pos and not failed_in_run:
            m = _SCORE_LINE.match(text, start)
            if m is not None:
                out.append(m)
                pos = m.end()
            else:
                failed_in_run = True
        if failed_in_run and _WORD_CHAR.search(text, start, line_end):
            failed_in_run = False  # the run ends on this line: the next line starts anew
        if newline < 0:
            return out
        start = newline + 1


def parse_vote(rubric: Rubric, text: str) -> dict[str, int] | None:
    """Criterion -> score, or None when any criterion is missing (an unusable vote)."""
    wanted = {cid for cid, _ in rubric.criteria}
    scores = {m.group(1).lower(): int(m.group(2)) for m in score_lines(text)}
    scores = {k: v for k, v in scores.items() if k in wanted}
    return scores if set(scores) == wanted else None


def vote_passes(rubric: Rubric, scores: dict[str, int] | None) -> bool:
    if scores is None:
        return False
    return (
        sum(scores.values()) / len(scores) >= rubric.pass_mean
        and min(scores.values()) >= rubric.floor
    )


class Judge:
    def __init__(self, setup: Setup, rubric: Rubric) -> None:
        self._setup = setup
        self._rubric = rubric

    async def __call__(
        self, suite: str, case_id: str, request: RewriteRequest, run: PathRun, result: CaseResult
    ) -> None:
        """Add `details["judge"]` to a measured model-path case."""
        del suite, case_id, request
        setup, rubric = self._setup, self._rubric
        if run.recording is None or run.response is None:
            return
        model = RecordingChatModel(
            mode=setup.mode,
            name=setup.model_name,
            prompt_version=rubric.version,
            recording=run.recording,
            inner=setup.inner,
        )
        model.purpose = "judge"
        messages = judge_messages(
            rubric, f"{run.response.rewrite.subject or ''}\n{run.response.rewrite.body}"
        )
        votes: list[dict[str, Any]] = []
        try:
            for i in range(rubric.repeats):
                params = replace(
                    setup.params,
                    max_tokens=rubric.max_tokens,
                    temperature=rubric.temperature,
                    seed=(setup.params.seed or 0) + 101 + i,
                )
                answer = await model.complete(messages, params=params)
                scores = parse_vote(rubric, answer.text)
                votes.append({"scores": scores, "passed": vote_passes(rubric, scores)})
        except RecordingMissing as miss:
            result.details["judge"] = {"status": "unmeasured", "reason": miss.reason}
            return
        except ModelError as exc:
            result.details["judge"] = {"status": "unmeasured", "reason": type(exc).__name__}
            return
        finally:
            if setup.mode == "record":
                save_recording(setup, run.recording)
        passed = sum(v["passed"] for v in votes) >= rubric.at_least
        result.details["judge"] = {
            "status": "pass" if passed else "fail",
            "votes": votes,
            "rule": f"at least {rubric.at_least} of {rubric.repeats}",
        }
