"""The `tactful` command line: every command lives in this package.

`analyze` and `rewrite` read the same JSON as the endpoints and print the same
JSON the endpoints return; invalid input prints a problem+json document and
exits with status 2. Heavy imports (the web server, the model) happen inside
the command that needs them, so `tactful analyze` starts fast.
"""

from __future__ import annotations

from service.cli._main import build_parser, main

__all__ = ["build_parser", "main"]
