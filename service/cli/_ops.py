"""`tactful keys create|revoke|list`, `tactful worker`, `tactful feedback export`.

Registered statically by `service.cli._main`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from service.settings import get_settings

EXIT_OK = 0
EXIT_FAIL = 1


def _print(payload: Any, out: TextIO = sys.stdout) -> None:
    out.write(json.dumps(payload, ensure_ascii=False) + "\n")


def _fail(message: str) -> int:
    sys.stderr.write(f"tactful: {message}\n")
    return EXIT_FAIL


async def _keys(args: argparse.Namespace) -> int:
    from service.security import ALL_SCOPES, key_store_for, new_key
    from service.store import StoreUnavailable, open_shared

    settings = get_settings()
    async with open_shared(settings) as shared:
        store = key_store_for(shared, settings.api_keys_file)
        if store is None:
            return _fail(
                "API keys need REDIS_URL (or TACTFUL_API_KEYS_FILE for a single "
                "process without Redis)."
            )
        try:
            if args.keys_command == "create":
                scopes = tuple(args.scope) if args.scope else ALL_SCOPES
                plaintext, record = new_key(args.name, scopes)
                await store.add(record)
                _print(
                    {
                        **record.public(),
                        "key": plaintext,
                        "note": "Store this key now: it is not kept and cannot be shown again.",
                    }
                )
            elif args.keys_command == "revoke":
                if not await store.revoke(args.id):
                    return _fail(f"no API key with id {args.id!r}")
                _print({"id": args.id, "revoked": True})
            else:
                for record in await store.all():
                    _print(record.public())
        except StoreUnavailable:
            return _fail("the key store (Redis) is unreachable")
    return EXIT_OK


def cmd_keys(args: argparse.Namespace) -> int:
    return asyncio.run(_keys(args))


def cmd_worker(args: argparse.Namespace) -> int:
    from service.batches import run_worker
    from service.observability import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    if args.concurrency is not None:
        settings = settings.model_copy(update={"worker_concurrency": args.concurrency})
    if not settings.redis_url:
        return _fail("tactful worker needs REDIS_URL: batches live in Redis.")
    if args.metrics_port is not None:
        from prometheus_client import start_http_server

        from service.observability import metrics

        # Model latency, tokens, guard outcomes and batch items, for Prometheus to scrape.
        start_http_server(args.metrics_port, addr=args.metrics_host, registry=metrics().registry)
    asyncio.run(run_worker(settings))
    return EXIT_OK


async def _export(out: TextIO) -> int:
    from service.store import StoreUnavailable, feedback_for, open_shared

    settings = get_settings()
    count = 0
    async with open_shared(settings) as shared:
        store = feedback_for(shared, settings.feedback_file)
        if store is None:
            return _fail("no feedback store: set REDIS_URL or TACTFUL_FEEDBACK_FILE")
        try:
            async for entry in store.entries():
                out.write(json.dumps(entry, ensure_ascii=False) + "\n")
                count += 1
        except StoreUnavailable:
            return _fail("the feedback store (Redis) is unreachable")
    sys.stderr.write(f"exported {count} feedback entr{'y' if count == 1 else 'ies'}\n")
    return EXIT_OK


def cmd_feedback_export(args: argparse.Namespace) -> int:
    if args.out in (None, "-"):
        return asyncio.run(_export(sys.stdout))
    path = Path(args.out)
    tmp = path.with_suffix(path.suffix + ".partial")
    with tmp.open("w", encoding="utf-8") as fh:
        code = asyncio.run(_export(fh))
    if code == EXIT_OK:
        tmp.replace(path)
    else:
        tmp.unlink(missing_ok=True)
    return code


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from service.security import ALL_SCOPES

    keys = sub.add_parser("keys", help="create, revoke and list API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key (printed once)")
    create.add_argument("--name", required=True, help="who the key is for (shown in lists)")
    create.add_argument(
        "--scope",
        action="append",
        choices=ALL_SCOPES,
        help="limit the key to these scopes (repeatable; default: all)",
    )
    revoke = keys_sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("id")
    keys_sub.add_parser("list", help="list keys (ids and names, never the keys)")
    keys.set_defaults(func=cmd_keys)

    worker = sub.add_parser("worker", help="process batch jobs from Redis")
    worker.add_argument("--concurrency", type=int, default=None)
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus metrics on this port (default: off)",
    )
    worker.add_argument("--metrics-host", default="127.0.0.1")
    worker.set_defaults(func=cmd_worker)

    feedback = sub.add_parser("feedback", help="feedback on rewrites")
    fb_sub = feedback.add_subparsers(dest="feedback_command", required=True)
    export = fb_sub.add_parser("export", help="write all feedback as JSONL (eval-case input)")
    export.add_argument("--out", default=None, help="output file (default: standard output)")
    export.set_defaults(func=cmd_feedback_export)
