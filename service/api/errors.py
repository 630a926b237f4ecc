"""problem+json for every HTTP error: the one place errors become responses."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_500_INTERNAL_SERVER_ERROR

from service.errors import PROBLEM_JSON, TactfulError, problem_document, validation_document

_log = logging.getLogger("tactful.api")


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    """A problem+json response."""
    body = problem_document(status, detail, title=title, **extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(exc: ValidationException) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        key = str(item.get("key") or item.get("source") or "body")
        errors.append({"field": key, "message": str(item.get("message", "invalid value"))})
    return errors


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """422 with field-level detail; 400 when the body could not be read at all."""
    errors = _field_errors(exc)
    if not errors:
        # No field detail means the body itself could not be read (not JSON, wrong type).
        return problem(400, exc.detail or "The request body is not valid JSON.")
    body = validation_document(errors)
    return Response(body, status_code=HTTP_422_UNPROCESSABLE_ENTITY, media_type=PROBLEM_JSON)


def http_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own errors (404 route, 405, 413...)."""
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    return problem(exc.status_code, exc.detail, headers=exc.headers, **extra)


def tactful_handler(request: Request[Any, Any, Any], exc: TactfulError) -> Response[Any]:
    """Our own error tree: its status, its detail, its headers (`Retry-After` for a 503)."""
    return problem(exc.status, exc.detail, headers=exc.headers() or None)


def internal_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """500 without detail: exception text may quote a message body."""
    _log.error("unhandled %s on %s", type(exc).__name__, request.url.path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "An unexpected error occurred.")


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    ValidationException: validation_handler,
    HTTPException: http_handler,
    TactfulError: tactful_handler,
    Exception: internal_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "problem"]
