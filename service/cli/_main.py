"""The `tactful` parser: every command registered statically, in help order."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from service.cli._commands import register as register_commands
from service.cli._evals import register as register_evals
from service.cli._ops import register as register_ops
from service.settings import get_settings

DESCRIPTION = "The `tactful` command line: serve, analyze, rewrite, evals, keys, worker, feedback."


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="tactful", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    for register in (register_commands, register_evals, register_ops):
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
