"""The labelled analyzer dataset (evals/analyzer/*.jsonl), read once for the tests."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATASET = Path(__file__).resolve().parents[1] / "evals" / "analyzer"


@cache
def _records() -> tuple[dict[str, Any], ...]:
    out: list[dict[str, Any]] = []
    for path in sorted(DATASET.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
    return tuple(out)


def labelled_records() -> list[dict[str, Any]]:
    """Every record of every file, in file order (a fresh list: callers may filter it)."""
    return list(_records())
