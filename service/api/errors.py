"""RFC 9457 problem+json for every error, with field-level detail for validation."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_500_INTERNAL_SERVER_ERROR

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("tactful.api")

_TITLES = {
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


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
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
    errors = _field_errors(exc)
    if not errors:
        # No field detail means the body itself could not be read (not JSON, wrong type).
        return problem(400, exc.detail or "The request body is not valid JSON.")
    fields = ", ".join(e["field"] for e in errors)
    return problem(HTTP_422_UNPROCESSABLE_ENTITY, f"Invalid value for: {fields}.", errors=errors)


def http_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    return problem(exc.status_code, exc.detail, headers=exc.headers, **extra)


def internal_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # Log the type only: exception text may quote a message body.
    _log.error("unhandled %s on %s", type(exc).__name__, request.url.path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "An unexpected error occurred.")


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    ValidationException: validation_handler,
    HTTPException: http_handler,
    Exception: internal_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "MediaType", "problem"]
