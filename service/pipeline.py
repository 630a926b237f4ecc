"""The rewrite pipeline: analyze -> strategy -> prompt -> model -> guard -> response.

Data flows one way through the steps; this module only sequences them. Every
message that leaves has passed the guard: a model answer that fails gets one
repair round; if that fails too, or the model is unreachable, the composer
writes the message and the response says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from service.analysis import analyze
from service.budget import LengthBudget, resolve_budget
from service.composer import compose
from service.guard import blocking_findings, check
from service.llm import (
    ChatMessage,
    ChatModel,
    ModelAnswer,
    ModelError,
    ModelParams,
    ModelUnavailable,
    degraded_reason,
)
from service.models import (
    RULE_IDS,
    Analysis,
    Change,
    Finding,
    Message,
    RewriteRequest,
    RewriteResponse,
    StrategyChoice,
    Usage,
)
from service.prompting import (
    BodyStreamExtractor,
    MalformedAnswer,
    ParsedAnswer,
    PromptSet,
    parse_answer,
    render_repair,
    render_rewrite,
)
from service.store import ResponseCache
from service.strategies import suggest_strategy

# An already-good draft may be polished, not rewritten: the edit must keep at
# least this share of the draft's wording (difflib ratio over words).
LIGHT_EDIT_MIN_SIMILARITY = 0.6
VARIANT_TEMPERATURE_STEP = 0.25
# The draft author's own facts are not "invented": they are ignored when
# deciding whether the draft is already good.
_NOT_BLOCKING_IN_DRAFT = frozenset({"invented_fact"})

DeltaSink = Callable[[str], None]


class PipelineObserver(Protocol):
    """Hooks for metrics; every method must be cheap and never raise."""

    def guard_outcome(self, outcome: str) -> None: ...  # "model" | "repaired" | "composer"

    def cache_lookup(self, hit: bool) -> None: ...

    def model_call(self, seconds: float, usage: Usage, ok: bool) -> None: ...


class _NullObserver:
    def guard_outcome(self, outcome: str) -> None:
        return None

    def cache_lookup(self, hit: bool) -> None:
        return None

    def model_call(self, seconds: float, usage: Usage, ok: bool) -> None:
        return None


@dataclass(frozen=True, slots=True)
class _Plan:
    request: RewriteRequest
    budget: LengthBudget
    before: Analysis
    strategy: StrategyChoice
    already_good: bool


@dataclass(slots=True)
class _Outcome:
    message: Message
    source: str
    after: Analysis
    changes_from_model: list[Change] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    repaired: bool = False
    degraded_reason: str | None = None
    variants: list[Message] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StreamEvent:
    event: str  # "strategy" | "delta" | "result"
    data: dict[str, Any]


class Rewriter:
    """Owns the pipeline for one process; cheap to call, safe to share."""

    def __init__(
        self,
        *,
        model: ChatModel | None,
        prompts: PromptSet,
        params: ModelParams,
        cache: ResponseCache | None = None,
        cache_ttl_s: int = 300,
        observer: PipelineObserver | None = None,
    ) -> None:
        self._model = model
        self._prompts = prompts
        self._params = params
        self._cache = cache
        self._cache_ttl_s = cache_ttl_s
        self._observer: PipelineObserver = observer or _NullObserver()

    @property
    def model_name(self) -> str:
        return self._model.name if self._model is not None else "none"

    @property
    def prompt_version(self) -> str:
        return self._prompts.version

    # ------------------------------------------------------------------ public

    async def rewrite(self, request: RewriteRequest) -> RewriteResponse:
        return await self._run(request, on_delta=None)

    async def rewrite_stream(self, request: RewriteRequest) -> AsyncIterator[StreamEvent]:
        """Stream the strategy, the body text as it is generated, then the checked result."""
        queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue()
        streamed: list[str] = []

        def on_delta(text: str) -> None:
            streamed.append(text)
            queue.put_nowait(StreamEvent("delta", {"text": text}))

        plan = self._plan(request)
        yield StreamEvent("strategy", plan.strategy.model_dump())

        async def produce() -> RewriteResponse:
            try:
                return await self._run(request, on_delta=on_delta, plan=plan)
            finally:
                queue.put_nowait(None)

        task = asyncio.create_task(produce())
        try:
            while (item := await queue.get()) is not None:
                yield item
            response = await task
        finally:
            if not task.done():
                task.cancel()
        if not streamed:
            # Nothing was streamed (cache hit, composer, polished draft): send the text once.
            yield StreamEvent("delta", {"text": response.rewrite.body})
            streamed.append(response.rewrite.body)
        final = response.model_dump(mode="json")
        final["replaced_streamed_text"] = "".join(streamed).strip() != response.rewrite.body.strip()
        yield StreamEvent("result", final)

    # ---------------------------------------------------------------- pipeline

    def _plan(self, request: RewriteRequest) -> _Plan:
        draft, context, options = request.draft, request.context, request.options
        budget = resolve_budget(
            draft.channel, max_words=options.max_words, max_chars=options.max_chars
        )
        before = analyze(draft, context=context, budget=budget)
        if options.strategy == "auto":
            strategy = suggest_strategy(context, frozenset(before.rules()))
        else:
            strategy = StrategyChoice(id=options.strategy, reason="Requested by the caller.")
        draft_blockers = [
            f for f in blocking_findings(before) if f.rule not in _NOT_BLOCKING_IN_DRAFT
        ]
        return _Plan(request, budget, before, strategy, already_good=not draft_blockers)

    async def _run(
        self, request: RewriteRequest, *, on_delta: DeltaSink | None, plan: _Plan | None = None
    ) -> RewriteResponse:
        started = time.perf_counter()
        key = self.cache_key(request)
        if self._cache is not None:
            cached = await self._cached(key)
            self._observer.cache_lookup(cached is not None)
            if cached is not None:
                return cached.model_copy(
                    update={
                        "cached": True,
                        "latency_ms": _ms_since(started),
                    }
                )
        # Planning analyzes the draft (~1-2 ms of CPU): only a miss needs it (bench/README.md).
        plan = plan or self._plan(request)
        outcome = await self._generate(plan, on_delta)
        self._observer.guard_outcome(
            "composer"
            if outcome.source == "composer"
            else "repaired"
            if outcome.repaired
            else "model"
        )
        response = self._respond(plan, outcome, started)
        if self._cache is not None and outcome.source == "model":
            await self._store(key, response)
        return response

    async def _generate(self, plan: _Plan, on_delta: DeltaSink | None) -> _Outcome:
        draft = plan.request.draft
        if self._model is None:
            return self._fallback(plan, "No model is configured.")
        messages = render_rewrite(
            self._prompts,
            strategy=plan.strategy.id,
            draft=draft,
            context=plan.request.context,
            analysis=plan.before,
            budget=plan.budget,
        )
        usage = Usage()
        try:
            answer = await self._call(messages, self._params, on_delta)
        except ModelError as exc:
            return self._fallback(plan, degraded_reason(exc))
        usage = usage + answer.usage
        parsed, problems, after = self._accept(plan, answer)
        if parsed is not None and after is not None:
            outcome = _Outcome(parsed_message(parsed, draft), "model", after, parsed.changes, usage)
        elif plan.already_good:
            # Polishing a good draft is optional: never repair it, keep the draft instead.
            outcome = self._fallback(
                plan, "The suggested edit changed too much or failed the check."
            )
            outcome.usage = usage
            return outcome
        else:
            repair = render_repair(
                self._prompts,
                previous_messages=messages,
                previous_answer_text=answer.text,
                findings=list(problems),
                budget=plan.budget,
            )
            try:
                second = await self._call(repair, self._params, None)
            except ModelError as exc:
                outcome = self._fallback(
                    plan, f"The repair call after a rejected answer failed: {degraded_reason(exc)}"
                )
                outcome.usage = usage
                return outcome
            usage = usage + second.usage
            parsed, problems2, after = self._accept(plan, second)
            if parsed is None or after is None:
                rules = sorted({f.rule for f in problems2})
                outcome = self._fallback(
                    plan, f"The model's answer failed the check twice ({', '.join(rules)})."
                )
                outcome.usage = usage
                return outcome
            outcome = _Outcome(
                parsed_message(parsed, draft), "model", after, parsed.changes, usage, repaired=True
            )
        if plan.request.options.variants > 1:
            extra, extra_usage = await self._variants(plan, messages)
            outcome.variants = extra
            outcome.usage = outcome.usage + extra_usage
        return outcome

    async def _variants(
        self, plan: _Plan, messages: Sequence[ChatMessage]
    ) -> tuple[list[Message], Usage]:
        """Extra candidates at higher temperatures; only those passing the guard are kept."""
        count = plan.request.options.variants - 1
        params = [
            replace(
                self._params,
                temperature=min(2.0, self._params.temperature + VARIANT_TEMPERATURE_STEP * (i + 1)),
                seed=None if self._params.seed is None else self._params.seed + i + 1,
            )
            for i in range(count)
        ]
        results = await asyncio.gather(
            *(self._call(messages, p, None) for p in params), return_exceptions=True
        )
        usage = Usage()
        kept: list[Message] = []
        for result in results:
            if isinstance(result, BaseException):
                continue
            usage = usage + result.usage
            parsed, _, after = self._accept(plan, result)
            if parsed is not None and after is not None:
                kept.append(parsed_message(parsed, plan.request.draft))
        return kept, usage

    async def _call(
        self, messages: Sequence[ChatMessage], params: ModelParams, on_delta: DeltaSink | None
    ) -> ModelAnswer:
        assert self._model is not None  # noqa: S101 - guarded by the caller
        started = time.perf_counter()
        try:
            if on_delta is None:
                answer = await self._model.complete(messages, params=params)
            else:
                answer = await self._stream(messages, params, on_delta)
        except ModelError:
            self._observer.model_call(time.perf_counter() - started, Usage(), ok=False)
            raise
        except Exception as exc:
            # Any adapter's contract is ModelError; whatever else escapes still degrades.
            self._observer.model_call(time.perf_counter() - started, Usage(), ok=False)
            raise ModelUnavailable(
                f"unexpected {type(exc).__name__} from the model",
                reason=f"The model call failed unexpectedly ({type(exc).__name__}).",
            ) from exc
        self._observer.model_call(time.perf_counter() - started, answer.usage, ok=True)
        return answer

    async def _stream(
        self, messages: Sequence[ChatMessage], params: ModelParams, on_delta: DeltaSink
    ) -> ModelAnswer:
        assert self._model is not None  # noqa: S101 - guarded by the caller
        extractor = BodyStreamExtractor()
        final: ModelAnswer | None = None
        async for item in self._model.stream(messages, params=params):
            if isinstance(item, ModelAnswer):
                final = item
            elif text := extractor.feed(item):
                on_delta(text)
        if tail := extractor.finish():
            on_delta(tail)
        if final is None:
            raise ModelUnavailable(
                "the stream ended without a final answer",
                reason="The model's answer stream ended without a final answer.",
            )
        return final

    def _accept(
        self, plan: _Plan, answer: ModelAnswer
    ) -> tuple[ParsedAnswer | None, tuple[Finding, ...], Analysis | None]:
        """Parse and guard one answer; return the problems to feed back when it fails."""
        draft = plan.request.draft
        if answer.finish_reason == "length":
            return (
                None,
                (_synthetic("too_long", "The answer was cut off: write a shorter message."),),
                None,
            )
        try:
            parsed = parse_answer(answer.text, draft.channel)
        except MalformedAnswer as exc:
            return (
                None,
                (_synthetic("format", f"The answer did not follow the format: {exc}"),),
                None,
            )
        candidate = parsed_message(parsed, draft)
        result = check(candidate, context=plan.request.context, original=draft, budget=plan.budget)
        if not result.passed:
            return None, result.blocking, None
        if (
            plan.already_good
            and _similarity(draft.body, candidate.body) < LIGHT_EDIT_MIN_SIMILARITY
        ):
            return None, (), None
        return parsed, (), result.analysis

    def _fallback(self, plan: _Plan, reason: str) -> _Outcome:
        """The deterministic path: keep a good draft as it is, or compose a message."""
        request = plan.request
        if plan.already_good:
            message = request.draft
            reason = (
                f"{reason} Your draft already follows the principles, so it was kept as written."
            )
        else:
            message = compose(
                strategy=plan.strategy.id,
                channel=request.draft.channel,
                context=request.context,
                draft=request.draft,
                budget=plan.budget,
            )
        after = analyze(
            message, context=request.context, original=request.draft, budget=plan.budget
        )
        return _Outcome(message, "composer", after, degraded_reason=reason)

    def _respond(self, plan: _Plan, outcome: _Outcome, started: float) -> RewriteResponse:
        return RewriteResponse(
            id=f"rw_{uuid.uuid4().hex}",
            strategy=plan.strategy,
            rewrite=outcome.message,
            variants=[outcome.message, *outcome.variants],
            changes=_changes(plan, outcome),
            before=plan.before,
            after=outcome.after,
            verdict="already_good" if plan.already_good else "rewritten",
            source="composer" if outcome.source == "composer" else "model",
            repaired=outcome.repaired,
            degraded_reason=outcome.degraded_reason,
            model=self.model_name,
            prompt_version=self._prompts.version,
            usage=outcome.usage,
            cached=False,
            latency_ms=_ms_since(started),
        )

    # ------------------------------------------------------------------- cache

    def cache_key(self, request: RewriteRequest) -> str:
        """Hash of the normalised request, prompt version, model and parameters."""
        payload = {
            "request": request.model_dump(mode="json", exclude_none=True),
            "prompt_version": self._prompts.version,
            "model": self.model_name,
            "params": [self._params.max_tokens, self._params.temperature, self._params.seed],
        }
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "rw:" + hashlib.sha256(blob.encode()).hexdigest()

    async def _cached(self, key: str) -> RewriteResponse | None:
        assert self._cache is not None  # noqa: S101 - guarded by the caller
        try:
            raw = await self._cache.get(key)
        except Exception:  # a broken cache must never fail a rewrite
            return None
        if raw is None:
            return None
        try:
            return RewriteResponse.model_validate_json(raw)
        except ValueError:
            return None

    async def _store(self, key: str, response: RewriteResponse) -> None:
        assert self._cache is not None  # noqa: S101 - guarded by the caller
        with contextlib.suppress(Exception):  # caching is best effort
            await self._cache.set(key, response.model_dump_json().encode(), self._cache_ttl_s)


def parsed_message(parsed: ParsedAnswer, draft: Message) -> Message:
    subject = parsed.subject if draft.channel == "email" else None
    if draft.channel == "email" and not subject:
        subject = draft.subject
    return Message(channel=draft.channel, subject=subject, body=parsed.body)


def _changes(plan: _Plan, outcome: _Outcome) -> list[Change]:
    """What changed and why: resolved findings first, then the model's own notes."""
    changes: list[Change] = []
    if outcome.message.body == plan.request.draft.body:
        return changes
    remaining = outcome.after.rules()
    seen: set[str] = set()
    for finding in plan.before.findings:
        if finding.rule in remaining or finding.rule in seen:
            continue
        seen.add(finding.rule)
        changes.append(
            Change(
                rule=finding.rule,
                principle=finding.principle,
                before=finding.excerpt,
                after="(rewritten: " + finding.message.rstrip(".") + ")",
            )
        )
    draft_body = plan.request.draft.body
    for change in outcome.changes_from_model:
        if change.rule is not None and change.rule not in RULE_IDS:
            change = change.model_copy(update={"rule": None})
        if change.rule in seen or not change.before or change.before not in draft_body:
            continue
        changes.append(change)
    return changes


def _synthetic(rule: str, message: str) -> Finding:
    return Finding(
        rule=rule,
        severity="error",
        principle="value_and_next_step",
        message=message,
        start=0,
        end=0,
        excerpt="",
    )


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
