"""`tactful serve`, `tactful analyze` and `tactful rewrite`.

`analyze` and `rewrite` read the same JSON as the endpoints and print the same
JSON the endpoints return; invalid input prints a problem+json document and
exits with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from service.errors import problem_document, validation_document
from service.models import CHANNELS
from service.settings import get_settings

EXIT_OK = 0
EXIT_INPUT = 2

M = TypeVar("M", bound=BaseModel)


def _read_json(source: str) -> Any:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return json.loads(text)


def _emit(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n")


def _problem(status: int, detail: str, **extra: Any) -> int:
    """Print a problem+json document (the one CLI renderer) and return the input exit code."""
    _emit(problem_document(status, detail, **extra))
    return EXIT_INPUT


def _load(model: type[M], source: str) -> M | int:
    try:
        raw = _read_json(source)
    except (OSError, UnicodeDecodeError) as exc:
        return _problem(400, f"Cannot read {source}: {type(exc).__name__}.")
    except json.JSONDecodeError as exc:
        return _problem(
            400, f"The input is not valid JSON (line {exc.lineno}, column {exc.colno})."
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        _emit(_validation_problem(exc))
        return EXIT_INPUT


_REQUEST_KEYS = ("draft", "context", "original", "options")


def _analyze_items(text: str, channel: str | None) -> list[dict[str, Any]] | int:
    """The requests in `text`: one JSON request, a JSON array or JSON Lines of them,
    labelled cases (extra keys such as `id`/`expect` are set aside), a bare message
    (`{"body": ...}`), or plain text, which is taken as the draft's body.
    """
    stripped = text.strip()
    if not stripped:
        return _problem(400, "The input is empty: give a JSON request or the draft's text.")
    if stripped[0] not in "{[":
        return [{"draft": {"channel": channel or "email", "body": text.rstrip("\n")}}]
    try:
        parsed = json.loads(stripped)
        items = parsed if isinstance(parsed, list) else [parsed]
    except json.JSONDecodeError as exc:
        try:
            items = [json.loads(line) for line in stripped.splitlines() if line.strip()]
        except json.JSONDecodeError:
            return _problem(
                400, f"The input is not valid JSON (line {exc.lineno}, column {exc.colno})."
            )
    out: list[dict[str, Any]] = []
    warned: set[str] = set()  # extra keys already reported on stderr
    for item in items:
        if not isinstance(item, dict):
            return _problem(422, "Each request must be a JSON object.")
        out.append(_as_request(item, channel, warned))
    return out


def _as_request(item: dict[str, Any], channel: str | None, warned: set[str]) -> dict[str, Any]:
    if "draft" not in item and "body" in item:
        item = {"draft": item}
    request = {k: item[k] for k in _REQUEST_KEYS if k in item}
    draft = request.get("draft")
    default_channel = channel or item.get("channel")
    if isinstance(draft, str):
        request["draft"] = {"channel": default_channel or "email", "body": draft}
    elif isinstance(draft, dict) and "channel" not in draft and default_channel:
        request["draft"] = {**draft, "channel": default_channel}
    ignored = set(item) - set(_REQUEST_KEYS) - {"id", "channel"} - warned
    if ignored:
        warned.update(ignored)
        names = ", ".join(sorted(ignored))
        sys.stderr.write(
            f"tactful analyze: ignoring keys that are not part of a request: {names}\n"
        )
    if "id" in item:
        request["id"] = item["id"]
    return request


def _validation_problem(exc: ValidationError, **extra: Any) -> dict[str, Any]:
    errors = [
        {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]}
        for err in exc.errors()
    ]
    return validation_document(errors, **extra)


def cmd_analyze(args: argparse.Namespace) -> int:
    from service.analysis import analyze
    from service.budget import budget_for
    from service.editor import suggest
    from service.models import AnalyzeRequest

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _problem(400, f"Cannot read {args.file}: {type(exc).__name__}.")
    items = _analyze_items(text, args.channel)
    if isinstance(items, int):
        return items
    code = EXIT_OK
    for item in items:
        ident = item.pop("id", None)
        tag = {"id": ident} if ident is not None else {}
        try:
            request = AnalyzeRequest.model_validate(item)
        except ValidationError as exc:
            _emit(_validation_problem(exc, **tag))
            code = EXIT_INPUT
            continue
        budget = budget_for(request.draft.channel, request.options)
        result = analyze(
            request.draft, context=request.context, original=request.original, budget=budget
        )
        result = suggest(request.draft, result, context=request.context, strategy=result.strategy)
        _emit({**tag, **result.model_dump(mode="json")})
    return code


def cmd_rewrite(args: argparse.Namespace) -> int:
    from service.models import RewriteRequest
    from service.runtime import open_runtime

    request = _load(RewriteRequest, args.file)
    if isinstance(request, int):
        return request

    async def run() -> dict[str, Any]:
        async with open_runtime(get_settings()) as runtime:
            response = await runtime.rewriter.rewrite(request)
            return response.model_dump(mode="json")

    _emit(asyncio.run(run()))
    return EXIT_OK


def workers_refusal(workers: int, redis_url: str | None, embedded: bool) -> str | None:
    """Why `tactful serve --workers N` is refused, or None when N workers are safe.

    Workers are separate processes: rate limits, the rewrite cache and
    idempotency keys must live in Redis to be shared by them, and each worker
    would start its own embedded model.
    """
    if workers < 1:
        return f"--workers must be at least 1 (got {workers})"
    if workers == 1:
        return None
    if redis_url is None:
        return (
            f"--workers {workers} needs REDIS_URL: without it every worker keeps its own rate "
            "limits, cache and idempotency keys (a client would get N times its limit)."
        )
    if embedded:
        return (
            f"--workers {workers} with the embedded model would start one model per worker: "
            "run one worker, or point OPENAI_BASE_URL at a shared model server."
        )
    return None


def served_app() -> Any:
    """The app each `tactful serve --workers N` worker builds (a uvicorn factory).

    Settings come from the environment the parent prepared (including
    TACTFUL_REQUIRE_API_KEY for non-loopback binds); logging is set up per worker.
    """
    from service.api.app import create_app
    from service.observability import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from service.api.app import create_app
    from service.observability import configure_logging
    from service.security import bind_refusal, is_loopback

    settings = get_settings()
    refusal = workers_refusal(args.workers, settings.redis_url, settings.uses_embedded_model)
    # Without API keys the API is open to anyone who can reach it: loopback only.
    refusal = refusal or asyncio.run(bind_refusal(settings, args.host))
    if refusal is not None:
        sys.stderr.write(f"tactful: {refusal}\n")
        return EXIT_INPUT
    if not is_loopback(args.host):
        settings = settings.model_copy(update={"require_api_key": True})
        os.environ["TACTFUL_REQUIRE_API_KEY"] = "true"  # read again by every worker
    configure_logging(settings.log_level)
    common: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": settings.log_level.lower(),
        "log_config": None,
        "access_log": False,
    }
    if args.workers == 1:
        uvicorn.run(create_app(settings), workers=1, **common)
    else:
        uvicorn.run(
            "service.cli._commands:served_app", factory=True, workers=args.workers, **common
        )
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`serve`, `analyze` and `rewrite`."""
    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes (more than 1 needs REDIS_URL; see docs/operations.md)",
    )
    serve.set_defaults(func=cmd_serve)

    analyze = sub.add_parser(
        "analyze",
        help="analyze a draft (same JSON as POST /v1/analyze)",
        description="Analyze drafts. Input: the JSON of POST /v1/analyze; or a JSON array "
        "or JSON Lines of them (one result per line, with the input's `id` when it has "
        "one; labelled cases' other keys are ignored); or a bare message "
        '{"body": ...}; or plain text, taken as the body of one draft.',
    )
    analyze.add_argument(
        "file", nargs="?", default="-", help="a file, or - for standard input (default)"
    )
    analyze.add_argument(
        "--channel",
        choices=CHANNELS,
        help="the channel of drafts that do not name one (default: email)",
    )
    analyze.set_defaults(func=cmd_analyze)

    rewrite = sub.add_parser("rewrite", help="rewrite a draft (same JSON as POST /v1/rewrites)")
    rewrite.add_argument("file", help="a JSON file, or - for standard input")
    rewrite.set_defaults(func=cmd_rewrite)
