"""Start uvicorn the way `tactful serve` does, on the bench app, with a worker count.

Mirrors `service.cli._commands.cmd_serve`: `configure_logging(settings.log_level)`, then
uvicorn with `log_config=None` and `access_log=False`. Workers are separate
processes, so `create_bench_app` configures logging again in each of them.

Run: python -m bench.serve --port 8000 [--workers 2]
"""

from __future__ import annotations

import argparse

import uvicorn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    from service.observability import configure_logging
    from service.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "bench.app:create_bench_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        log_config=None,
        access_log=False,
        backlog=4096,
    )


if __name__ == "__main__":
    main()
