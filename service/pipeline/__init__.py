"""The rewrite pipeline: plan -> model -> attempt (parse + guard) -> respond.

Data flows one way through the steps. Every message that leaves has passed
the guard: a model answer that fails gets one repair round; if that fails
too, or the model is unreachable, the fallback (`_fallback.py`) writes the
message and the response says so.

- `_plan.py`: budget, draft analysis and strategy, once per request.
- `_attempt.py`: one answer parsed and guarded (the evals call it too).
- `_rewriter.py`: the state machine (first answer -> one repair -> fallback).
- `_fallback.py`: the deterministic path (keep a good draft, or compose).
- `_respond.py`, `_stream.py`, `_cache.py`: response shaping, streaming, caching.
"""

from __future__ import annotations

from service.pipeline._attempt import LIGHT_EDIT_MIN_SIMILARITY, Attempt, attempt, parsed_message
from service.pipeline._fallback import fallback
from service.pipeline._observer import PipelineObserver
from service.pipeline._plan import Plan, make_plan
from service.pipeline._rewriter import VARIANT_TEMPERATURE_STEP, Rewriter
from service.pipeline._stream import StreamEvent

__all__ = [
    "LIGHT_EDIT_MIN_SIMILARITY",
    "VARIANT_TEMPERATURE_STEP",
    "Attempt",
    "PipelineObserver",
    "Plan",
    "Rewriter",
    "StreamEvent",
    "attempt",
    "fallback",
    "make_plan",
    "parsed_message",
]
