"""The `tactful` parser: every command registered statically, in help order."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from service.cli import _commands, _evals, _ops
from service.settings import get_settings

DESCRIPTION = "The `tactful` command line: serve, analyze, rewrite, evals, keys, worker, feedback."


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="tactful", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    for register in (_commands.register, _evals.register, _ops.register):
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its return value is the exit status."""
    logging.basicConfig(
        level=get_settings().log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code
