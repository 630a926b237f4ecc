"""Auth, the JSON media type and rate limits, before the handler runs; RateLimit-* headers
on every answer.

Runs after routing (Litestar route middleware), so it sees the path template
and can look the route up in `_policy`. Its objects come from
`app.state.security` (built by the lifespan).
"""

from __future__ import annotations

from service.security._asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    client_ip,
    header_map,
    scope_state,
    send_problem,
    with_headers,
)
from service.security._auth import Denial
from service.security._media import media_refusal
from service.security._policy import policy_for
from service.security._state import SecurityState


class SecurityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = policy_for(scope["method"], scope.get("path_template", ""))
        sec: SecurityState | None = getattr(scope["app"].state, "security", None)
        if policy is None or sec is None:
            await self.app(scope, receive, send)
            return
        headers = header_map(scope)
        result = await sec.auth.authenticate(
            headers, client_ip(scope), policy.scope, public=policy.public
        )
        if isinstance(result, Denial):
            await send_problem(send, result.status, result.detail, headers=result.headers)
            return
        # Before anything reads the body: a text/plain POST (no CORS preflight) is never parsed.
        if (refusal := media_refusal(scope["method"], headers)) is not None:
            await send_problem(send, 415, refusal, headers={"Accept-Post": "application/json"})
            return
        state = scope_state(scope)
        state["tactful.principal"] = result
        limit = sec.limits[policy.limit]
        decision = await sec.limiter.check(limit, result.subject)
        if not decision.shared and sec.shared_configured:
            sec.metrics.store_fallbacks.labels(what="rate_limit").inc()
        if not decision.allowed:
            sec.metrics.rate_limited.labels(limit=limit.name).inc()
            await send_problem(
                send,
                429,
                f"Rate limit {limit.name!r} exceeded; retry in {decision.retry_after_s}s.",
                headers=decision.headers(),
                limit=limit.name,
            )
            return
        extra = decision.headers()

        async def send_with_limits(message: Message) -> None:
            await send(with_headers(message, extra))

        await self.app(scope, receive, send_with_limits)
