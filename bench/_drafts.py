"""Distinct drafts the way people produce them: typing sessions and unrelated drafts.

The `/v1/analyze` targets are measured on traffic where no two requests carry
the same draft, because a salesperson typing never sends the same text twice:

- **typing**: successive snapshots of realistic drafts being typed. A snapshot
  is taken at every typing pause (every 2-10 words, a quarter of them in the
  middle of a word); now and then the writer makes a typo in a word already
  typed and fixes it at the next pause. Consecutive snapshots of one session
  share everything but the last few words.
- **unrelated**: whole drafts, each different from the one before.

The drafts come from the labelled analyzer dataset (`evals/analyzer/*.jsonl`)
and the preservation cases (`evals/preserve/cases.jsonl`), with their
contexts. Every session (and every unrelated draft) gets its own
`history.days_since_reply`, a field the analyzer and the strategy read, so
no two sessions share a (draft, context) pair: a cache keyed by the text and
its context can only help within one typing session, never across sessions.

Each series is written as one compact JSON body per line (`.lines`);
bench/post.lua sends line after line, and the runner carries its position on
across runs, so a body comes back only after the whole file (12,000 bodies,
three times what the per-process memo holds) has gone by.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT / "evals" / "analyzer", ROOT / "evals" / "preserve" / "cases.jsonl")
LINES = 12_000
_WORD = re.compile(r"\S+\s*")


def realistic_requests() -> list[dict[str, Any]]:
    """Every (draft, context) of the dataset whose body has at least 25 words, in file order."""
    paths = [*sorted(SOURCES[0].glob("*.jsonl")), SOURCES[1]]
    out: list[dict[str, Any]] = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            request = case.get("request", case)
            draft = request.get("draft")
            if not isinstance(draft, dict) or len(str(draft.get("body", "")).split()) < 25:
                continue
            out.append(
                {
                    "draft": {k: draft[k] for k in ("channel", "subject", "body") if k in draft},
                    "context": dict(request.get("context") or {}),
                }
            )
    return out


def _with_days(request: dict[str, Any], days: int) -> dict[str, Any]:
    context = json.loads(json.dumps(request["context"]))
    history = dict(context.get("history") or {})
    history["days_since_reply"] = days
    context["history"] = history
    return {"draft": dict(request["draft"]), "context": context}


def typing_snapshots(body: str, rng: random.Random) -> list[str]:
    """The texts a typing writer's pauses send, ending with the whole body."""
    ends = [m.end() for m in _WORD.finditer(body)]
    out: list[str] = []
    i = 0
    typo_at: tuple[int, int] | None = None  # (start, end) of a word typed wrong, fixed next
    while i < len(ends):
        i = min(len(ends), i + rng.randint(2, 10))
        cut = ends[i - 1]
        if i < len(ends) and rng.random() < 0.25:  # a pause in the middle of the next word
            word_len = len(body[cut : ends[i]].rstrip())
            if word_len > 1:
                cut += rng.randint(1, word_len - 1)
        text = body[:cut].rstrip() or body[:cut]
        if typo_at is None and i > 4 and rng.random() < 0.15:
            start = ends[rng.randint(0, i - 3)]
            word = _WORD.match(body, start)
            if word and len(word.group().strip()) > 2:
                typo_at = (start, start + len(word.group().strip()))
                a, b = typo_at
                text = text[:a] + text[a + 1] + text[a] + text[a + 2 : b] + text[b:]  # swapped
        else:
            typo_at = None
        if text.strip():
            out.append(text)
    if not out or out[-1] != body:
        out.append(body)
    return out


def typing_bodies(limit: int = LINES, seed: int = 14) -> list[bytes]:
    """Typing sessions one after another, each on its own (draft, context)."""
    rng = random.Random(seed)
    requests = realistic_requests()
    order = list(range(len(requests)))
    rng.shuffle(order)
    out: list[bytes] = []
    session = 0
    while len(out) < limit:
        base = requests[order[session % len(order)]]
        request = _with_days(base, 1000 + session)
        for text in typing_snapshots(base["draft"]["body"], rng):
            request["draft"]["body"] = text
            out.append(_compact(request))
        session += 1
    return out[:limit]


def unrelated_bodies(limit: int = LINES, seed: int = 15) -> list[bytes]:
    """Whole drafts, each on a (draft, context) no other body in the file has."""
    rng = random.Random(seed)
    requests = realistic_requests()
    order = list(range(len(requests)))
    rng.shuffle(order)
    return [
        _compact(_with_days(requests[order[i % len(order)]], 1 + i // len(order)))
        for i in range(limit)
    ]


def _compact(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def write_lines(path: Path, bodies: list[bytes]) -> Path:
    """One body per line (compact JSON never contains a raw newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(bodies) + b"\n")
    return path


def stats(bodies: list[bytes]) -> dict[str, Any]:
    """How the series looks: size, distinctness, words per body."""
    words = sorted(len(json.loads(b)["draft"]["body"].split()) for b in bodies)
    return {
        "bodies": len(bodies),
        "distinct": len(set(bodies)),
        "words_p50": words[len(words) // 2],
        "words_max": words[-1],
        "bytes_mean": round(sum(map(len, bodies)) / len(bodies)),
    }
