"""Distinct rewrite requests, each with a model answer that passes the guard for it.

The fixed rewrite body (`_fixtures.REWRITE_REQUEST`) flatters every cache keyed
by a text: the per-process caches of the analyzer (a context's support keys,
a draft's language), the editor's items, and so on. The honest rewrite row
sends a different dataset draft on its own context with every request
(`bench/_drafts.py`, the same drafts as the analyze series), and the stub must
then answer something that passes the guard *for that draft*, or the row would
measure the repair round and the composer instead of the model path.

So before the run, in this process:

1. the drafts are taken in a shuffled order, each on its own context (its
   `history.days_since_reply` moves on once all 1,974 have been used, so no two
   requests are the same);
2. the answer is the message Tactful's own model-less path writes for it
   (the editor, else the composer), in the model's tagged format;
3. the request is run through the real pipeline with a scripted model giving
   that answer, and kept only when it came back `source: model`, not repaired.
   The prompt the pipeline rendered for it (its user message) is the key the
   stub finds the answer by: `answer_key` (sha256) in both processes.

The requests are written one per line (`.lines`, for bench/post.lua and the
burst), the answers to a JSON map {key: answer} the stub loads (`/_answers`). Both are kept
in results/tmp and reused while the dataset, the bench and `service/` are
unchanged (a hash of their files' sizes and modification times).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from bench._drafts import ROOT, realistic_requests

SEED = 16


def answer_key(user_message: str) -> str:
    """What the stub looks an answer up by: the hash of the request's user message."""
    return hashlib.sha256(user_message.encode()).hexdigest()


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for folder in (ROOT / "service", ROOT / "evals", ROOT / "prompts", ROOT / "bench"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "results" not in path.parts and "__pycache__" not in path.parts:
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _request(base: dict[str, Any], days: int) -> dict[str, Any]:
    context = json.loads(json.dumps(base["context"]))
    history = dict(context.get("history") or {})
    history["days_since_reply"] = days
    context["history"] = history
    return {"draft": dict(base["draft"]), "context": context, "options": {}}


def tagged(subject: str | None, body: str) -> str:
    """A message in the answer format of prompts/system.toml (no changes listed)."""
    head = f"<subject>{subject}</subject>\n" if subject else ""
    return f"{head}<body>\n{body}\n</body>\n<changes>\n</changes>"


async def _answers(requests: list[dict[str, Any]]) -> list[tuple[str, str] | None]:
    from service.llm import FakeChatModel, ModelParams
    from service.models import RewriteRequest
    from service.pipeline import Rewriter
    from service.prompting import load_prompts

    prompts, params = load_prompts(), ModelParams()
    offline = Rewriter(model=None, prompts=prompts, params=params)
    out: list[tuple[str, str] | None] = []
    for raw in requests:
        request = RewriteRequest.model_validate(raw)
        try:
            written = (await offline.rewrite(request)).rewrite
            answer = tagged(written.subject, written.body)
            model = FakeChatModel([answer])
            check = await Rewriter(model=model, prompts=prompts, params=params).rewrite(request)
        except Exception:  # a draft the pipeline refuses (422) is simply not in the series
            out.append(None)
            continue
        if check.source != "model" or check.repaired or len(model.calls) != 1:
            out.append(None)
            continue
        out.append((answer_key(str(model.calls[0].messages[-1]["content"])), answer))
    return out


def rewrite_series(tmp: Path, limit: int) -> tuple[Path, Path, dict[str, Any]]:
    """(bodies .lines, answers .json, stats): `limit` distinct requests the stub can answer."""
    stamp = f"{_fingerprint()}-{limit}"
    lines, answers = tmp / f"rewrites-{stamp}.lines", tmp / f"rewrite-answers-{stamp}.json"
    meta = tmp / f"rewrites-{stamp}.meta.json"
    if lines.exists() and answers.exists() and meta.exists():
        return lines, answers, json.loads(meta.read_text())
    bases = realistic_requests()
    order = list(range(len(bases)))
    random.Random(SEED).shuffle(order)
    candidates = [_request(bases[order[i % len(order)]], 3 + i // len(order)) for i in range(limit)]
    got = asyncio.run(_answers(candidates))
    kept = [(r, a) for r, a in zip(candidates, got, strict=True) if a is not None]
    tmp.mkdir(parents=True, exist_ok=True)
    lines.write_bytes(
        b"\n".join(
            json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode() for r, _ in kept
        )
        + b"\n"
    )
    answers.write_text(json.dumps(dict(a for _, a in kept)))
    stats = {
        "requests": len(candidates),
        "kept": len(kept),
        "distinct_drafts": len({r["draft"]["body"] for r, _ in kept}),
    }
    meta.write_text(json.dumps(stats))
    return lines, answers, stats
