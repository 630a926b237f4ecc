"""Process-wide resources: the model client and the pipeline, opened once.

The API lifespan, the CLI and the eval runner all open the runtime the same
way, so there is one code path from settings to a working `Rewriter`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from service.llm import (
    ChatModel,
    CircuitBreaker,
    EmbeddedServer,
    ModelParams,
    OpenAIChatModel,
    build_openai_client,
)
from service.pipeline import PipelineObserver, Rewriter
from service.prompting import load_prompts
from service.settings import DEFAULT_REMOTE_MODEL, Settings
from service.store import ResponseCache, SharedState, cache_for, open_shared

_log = logging.getLogger("tactful")


@dataclass(slots=True)
class Runtime:
    settings: Settings
    rewriter: Rewriter
    model: ChatModel | None
    model_endpoint: str | None
    # The process's Redis pool (or memory mode): limits, idempotency, feedback, batches.
    shared: SharedState


@asynccontextmanager
async def open_model(
    settings: Settings,
    stack: AsyncExitStack,
    observer: PipelineObserver | None = None,
) -> AsyncIterator[tuple[ChatModel | None, str | None]]:
    """AsyncOpenAI against the configured endpoint, or the embedded local server."""
    if settings.openai_base_url is None and not settings.uses_embedded_model:
        _log.info(
            "no model endpoint: the draft-preserving editor answers (OPENAI_BASE_URL sets one)"
        )
        yield None, None
        return
    base_url = settings.openai_base_url
    model_name = settings.model or DEFAULT_REMOTE_MODEL
    timeout_s, deadline_s = settings.model_timeout_s, settings.model_deadline_s
    if base_url is None:
        server = await stack.enter_async_context(EmbeddedServer())
        base_url, model_name = server.base_url, server.model_name
        timeout_s, deadline_s = settings.embedded_timeout_s, settings.embedded_deadline_s
    client = build_openai_client(
        base_url=base_url,
        api_key=settings.openai_api_key or "not-needed",
        timeout_s=timeout_s,
        max_connections=settings.model_max_connections,
        transport=settings.model_transport,
    )
    stack.push_async_callback(client.close)
    _log.info("model endpoint %s, model %s", base_url, model_name)
    breaker = CircuitBreaker(
        upstream=urlsplit(base_url or "https://api.openai.com").netloc or "openai",
        failure_threshold=settings.model_breaker_failures,
        reset_after_s=settings.model_breaker_reset_s,
        on_transition=None if observer is None else observer.breaker_transition,
        on_reject=None if observer is None else observer.breaker_rejected,
    )
    yield (
        OpenAIChatModel(
            client=client,
            model=model_name,
            deadline_s=deadline_s,
            max_attempts=settings.model_max_attempts,
            attempt_timeout_s=timeout_s,
            backoff_initial_s=settings.model_backoff_initial_s,
            backoff_max_s=settings.model_backoff_max_s,
            retry_after_cap_s=settings.model_retry_after_cap_s,
            on_retry=None if observer is None else observer.model_retry,
            breaker=breaker,
        ),
        base_url,
    )


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    model: ChatModel | None = None,
    use_model: bool = True,
    cache: ResponseCache | None = None,
    observer: PipelineObserver | None = None,
) -> AsyncIterator[Runtime]:
    """Open everything a process needs; close it all on exit, in reverse order."""
    async with AsyncExitStack() as stack:
        endpoint: str | None = None
        embedded = False
        shared = await stack.enter_async_context(open_shared(settings))
        if model is None and use_model:
            model, endpoint = await stack.enter_async_context(open_model(settings, stack, observer))
            embedded = settings.uses_embedded_model
        params = ModelParams(
            max_tokens=settings.embedded_max_tokens if embedded else settings.max_tokens,
            temperature=settings.temperature,
        )
        rewriter = Rewriter(
            model=model,
            prompts=load_prompts(),
            params=params,
            cache=cache if cache is not None else cache_for(shared),
            cache_ttl_s=settings.cache_ttl_s,
            observer=observer,
        )
        yield Runtime(
            settings=settings,
            rewriter=rewriter,
            model=model,
            model_endpoint=endpoint,
            shared=shared,
        )
