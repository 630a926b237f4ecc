"""The one error tree, and the problem+json document every surface renders.

    TactfulError                 anything this service raises on purpose
    ├── InvalidInput             the caller sent something we cannot use (422)
    │   └── DataFileInvalid      a data file (lexicon, prompt, template, eval case)
    │                            is malformed: names the file, the place, the problem
    ├── NotFound                 no such resource (404)
    │   └── RecordingMissing     no recorded model answer for an eval case (service.evals)
    ├── Unavailable              a dependency is down; retry later (503 + Retry-After)
    │   └── StoreUnavailable     Redis (service.store)
    └── PromptError              a template rendered with the wrong values: a caller bug
        ├── PromptVariableMissing    (service.prompting)
        └── PromptVariableUnknown

Every data-file loader raises `DataFileInvalid` (service.datafile). The HTTP
surface renders these in one handler (`service.api.errors`); the CLI in one
printer (`service.cli._commands`). Both build the body with `problem_document`
(field errors with `validation_document`).

Outside the tree on purpose: the model port's `ModelError` family
(service.llm). Its message is for logs and may quote the upstream's text,
while a `TactfulError`'s detail is shown to the caller; the pipeline catches
every `ModelError` and degrades, so none reaches a surface.
"""

from __future__ import annotations

from typing import Any

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem_document(
    status: int, detail: str, *, title: str | None = None, **extra: Any
) -> dict[str, Any]:
    """An RFC 9457 problem+json body."""
    return {
        "type": "about:blank",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }


def validation_document(errors: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    """The 422 body for field errors (`[{"field": ..., "message": ...}]`), HTTP and CLI alike."""
    fields = ", ".join(e["field"] for e in errors)
    return problem_document(422, f"Invalid value for: {fields}.", errors=errors, **extra)


class TactfulError(Exception):
    """Base of every error the service raises on purpose."""

    status = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def headers(self) -> dict[str, str]:
        """Response headers that go with this error."""
        return {}


class InvalidInput(TactfulError):
    """The caller sent something we cannot use."""

    status = 422


class DataFileInvalid(InvalidInput):
    """A data file is malformed; the message names the file, the place and the problem."""

    def __init__(self, file: str, place: str, problem: str) -> None:
        where = f"{file}: {place}" if place else file
        super().__init__(f"{where}: {problem}")
        self.file, self.place, self.problem = file, place, problem


class NotFound(TactfulError):
    """No such resource (or it has expired)."""

    status = 404


class Unavailable(TactfulError):
    """A dependency is down: the caller should retry after `retry_after_s` seconds."""

    status = 503

    def __init__(self, detail: str, *, retry_after_s: int | None = 2) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str]:
        """`Retry-After`, mapped here once for every 503."""
        return {} if self.retry_after_s is None else {"Retry-After": str(self.retry_after_s)}
