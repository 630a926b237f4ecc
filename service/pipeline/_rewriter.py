"""The rewriter: first answer -> one repair -> fallback, with cache and metrics around it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from service.analysis_memo import analysis_scope
from service.llm import (
    ChatMessage,
    ChatModel,
    ModelAnswer,
    ModelError,
    ModelParams,
    ModelUnavailable,
    degraded_reason,
)
from service.models import Message, RewriteRequest, RewriteResponse, StrategyChoice, Usage
from service.offload import run_cpu_bound, text_size
from service.pipeline._attempt import Attempt, attempt, parsed_message
from service.pipeline._cache import cache_key, read_cached, store_cached
from service.pipeline._fallback import fallback
from service.pipeline._observer import NullObserver, PipelineObserver
from service.pipeline._plan import Outcome, Plan, make_plan
from service.pipeline._release import released, verified
from service.pipeline._respond import ms_since, respond
from service.pipeline._stream import StreamEvent, stream_answer, stream_events
from service.pipeline._thread import with_thread, without_thread
from service.prompting import PromptSet, render_repair, render_rewrite
from service.settings import DEFAULT_CACHE_TTL_S
from service.store import ResponseCache

VARIANT_TEMPERATURE_STEP = 0.25


class Rewriter:
    """Owns the pipeline for one process; cheap to call, safe to share."""

    def __init__(
        self,
        *,
        model: ChatModel | None,
        prompts: PromptSet,
        params: ModelParams,
        cache: ResponseCache | None = None,
        cache_ttl_s: int = DEFAULT_CACHE_TTL_S,
        observer: PipelineObserver | None = None,
    ) -> None:
        self._model = model
        self._prompts = prompts
        self._params = params
        # A TTL of 0 disables the cache (docs/operations.md): nothing is looked up or
        # stored, so a rewrite pays no round trip, no key hash and no check for it.
        self._cache = cache if cache_ttl_s > 0 else None
        self._cache_ttl_s = cache_ttl_s
        self._observer: PipelineObserver = observer or NullObserver()

    @property
    def model_name(self) -> str:
        """The model's name, or "none" when the composer writes every message."""
        return self._model.name if self._model is not None else "none"

    @property
    def prompt_version(self) -> str:
        """The version of the prompt set in use (part of the cache key)."""
        return self._prompts.version

    async def rewrite(
        self, request: RewriteRequest, *, tenant: str | None = None
    ) -> RewriteResponse:
        """Rewrite one draft; every message that leaves has passed the guard.

        `tenant` (the caller: "key:<id>") is part of the cache key, so one tenant never
        receives another's cached rewrite or its id. None for local callers (CLI, evals).
        """
        return await self._run(request, streamed=False, tenant=tenant)

    async def rewrite_stream(
        self, request: RewriteRequest, *, tenant: str | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Stream the strategy, the checked body in sentence deltas, then the result.

        Nothing unchecked is streamed (see `_stream.py`); a failure ends the stream
        with a `problem` event instead of the result.
        """
        plans: list[Plan] = []

        async def strategy() -> StrategyChoice:
            plans.append(await _plan(without_thread(request)[0]))
            return plans[0].strategy

        async for event in stream_events(
            strategy, lambda: self._run(request, streamed=True, plan=plans[0], tenant=tenant)
        ):
            yield event

    def cache_key(self, request: RewriteRequest, *, tenant: str | None = None) -> str:
        """Hash of the tenant, the normalised request, prompt version, model and parameters."""
        return cache_key(
            request,
            prompt_version=self._prompts.version,
            model=self.model_name,
            params=self._params,
            tenant=tenant,
        )

    async def _run(
        self,
        request: RewriteRequest,
        *,
        streamed: bool,
        plan: Plan | None = None,
        tenant: str | None = None,
    ) -> RewriteResponse:
        # One request analyzes each distinct text once (the guard and the editor repeat).
        with analysis_scope():
            return await self._run_scoped(request, streamed=streamed, plan=plan, tenant=tenant)

    async def _run_scoped(
        self,
        request: RewriteRequest,
        *,
        streamed: bool,
        plan: Plan | None,
        tenant: str | None,
    ) -> RewriteResponse:
        started = time.perf_counter()
        key = self.cache_key(request, tenant=tenant) if self._cache is not None else ""
        if self._cache is not None:
            cached = await read_cached(self._cache, key)
            self._observer.cache_lookup(cached is not None)
            # Sealed by this process (checked when stored, same guard), else re-checked with
            # today's guard: an entry is never replayed unchecked (_cache.py).
            if cached is not None and (cached.sealed or verified(request, cached.response)):
                return cached.response.model_copy(
                    update={"cached": True, "latency_ms": ms_since(started)}
                )
        # Planning analyzes the draft (~1-2 ms of CPU): only a miss needs it (bench/README.md).
        # Everything up to the response reads the new message; the thread goes back under it.
        own, quoted = without_thread(request)
        plan = plan or await _plan(own)
        outcome = released(plan, await self._generate(plan, streamed))
        self._observer.guard_outcome(
            outcome.source
            if outcome.source != "model"
            else "repaired"
            if outcome.repaired
            else "model"
        )
        response = with_thread(
            respond(
                plan,
                outcome,
                started=started,
                model=self.model_name,
                prompt_version=self._prompts.version,
            ),
            quoted,
        )
        # Sealed on the way in only when it passes the very check a hit would run (the
        # analyses are this request's, so this costs no new analysis).
        if self._cache is not None and outcome.source == "model" and verified(request, response):
            await store_cached(self._cache, key, response, self._cache_ttl_s)
        return response

    async def _generate(self, plan: Plan, streamed: bool) -> Outcome:
        """The state machine: first answer -> one repair -> fallback."""
        draft = plan.request.draft
        if self._model is None:
            return fallback(plan, None)
        messages = render_rewrite(
            self._prompts,
            strategy=plan.strategy.id,
            draft=draft,
            context=plan.request.context,
            analysis=plan.before,
            budget=plan.budget,
        )
        usage = Usage()
        params = self._request_params(plan)
        try:
            answer = await self._call(messages, params, streamed=streamed)
        except ModelError as exc:
            return fallback(plan, degraded_reason(exc))
        usage = usage + answer.usage
        first = self._attempt(plan, answer)
        if first.accepted:
            outcome = self._accepted(plan, first, usage)
        elif plan.already_good:
            # Polishing a good draft is optional: never repair it, keep the draft instead.
            outcome = fallback(plan, "The suggested edit changed too much or failed the check.")
            outcome.usage = usage
            return outcome
        else:
            repair = render_repair(
                self._prompts,
                previous_messages=messages,
                previous_answer_text=answer.text,
                findings=list(first.problems),
                budget=plan.budget,
            )
            try:
                second_answer = await self._call(repair, params, streamed=streamed)
            except ModelError as exc:
                outcome = fallback(
                    plan, f"The repair call after a rejected answer failed: {degraded_reason(exc)}"
                )
                outcome.usage = usage
                return outcome
            usage = usage + second_answer.usage
            second = self._attempt(plan, second_answer)
            if not second.accepted:
                rules = sorted({f.rule for f in second.problems})
                outcome = fallback(
                    plan, f"The model's answer failed the check twice ({', '.join(rules)})."
                )
                outcome.usage = usage
                return outcome
            outcome = self._accepted(plan, second, usage, repaired=True)
        if plan.request.options.variants > 1:
            extra, extra_usage = await self._variants(plan, messages, params)
            outcome.variants = extra
            outcome.usage = outcome.usage + extra_usage
        return outcome

    def _attempt(self, plan: Plan, answer: ModelAnswer) -> Attempt:
        draft = plan.request.draft
        return attempt(
            answer.text,
            answer.finish_reason,
            draft=draft,
            context=plan.request.context,
            budget=plan.budget,
            light_edit_of=draft.body if plan.already_good else None,
            substance=plan.substance_bound(),
            exact_substance=plan.substance,
        )

    def _request_params(self, plan: Plan) -> ModelParams:
        """The process's generation parameters with the request's own temperature, if any."""
        temperature = plan.request.options.temperature
        if temperature is None:
            return self._params
        return replace(self._params, temperature=temperature)

    @staticmethod
    def _accepted(
        plan: Plan, accepted: Attempt, usage: Usage, *, repaired: bool = False
    ) -> Outcome:
        assert accepted.parsed is not None  # noqa: S101 - only called when accepted
        assert accepted.analysis is not None  # noqa: S101
        return Outcome(
            parsed_message(accepted.parsed, plan.request.draft),
            "model",
            accepted.analysis,
            accepted.parsed.changes,
            usage,
            repaired=repaired,
        )

    async def _variants(
        self, plan: Plan, messages: Sequence[ChatMessage], base: ModelParams
    ) -> tuple[list[Message], Usage]:
        """Extra candidates at higher temperatures; only distinct ones passing the guard."""
        count = plan.request.options.variants - 1
        params = [
            replace(
                base,
                temperature=min(2.0, base.temperature + VARIANT_TEMPERATURE_STEP * (i + 1)),
                seed=None if base.seed is None else base.seed + i + 1,
            )
            for i in range(count)
        ]
        results = await asyncio.gather(
            *(self._call(messages, p, streamed=False) for p in params), return_exceptions=True
        )
        usage = Usage()
        kept: list[Message] = []
        for result in results:
            if isinstance(result, BaseException):
                continue
            usage = usage + result.usage
            candidate = self._attempt(plan, result)
            if candidate.accepted and candidate.parsed is not None:
                message = parsed_message(candidate.parsed, plan.request.draft)
                if all(message.body != k.body for k in kept):
                    kept.append(message)
        return kept, usage

    async def _call(
        self, messages: Sequence[ChatMessage], params: ModelParams, *, streamed: bool
    ) -> ModelAnswer:
        assert self._model is not None  # noqa: S101 - guarded by the caller
        started = time.perf_counter()
        try:
            if streamed:
                answer = await stream_answer(self._model, messages, params)
            else:
                answer = await self._model.complete(messages, params=params)
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


async def _plan(request: RewriteRequest) -> Plan:
    """make_plan, in a bounded worker thread when the request is large (service/offload.py)."""
    size = text_size(request.draft, request.context)
    return await run_cpu_bound(lambda: make_plan(request), size=size)
