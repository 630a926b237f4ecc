"""Only JSON is parsed: a body sent with any other media type is refused with 415.

Why this is a security control and not pedantry: a browser sends a cross-site
`POST` with `Content-Type: text/plain` (or a form type) without a CORS
preflight. If such a body were parsed as JSON, any web page a user opens could
make their loopback server rewrite drafts or write feedback. Requiring
`application/json` forces a preflight, which the CORS policy then refuses for
origins that are not configured.

Accepted: `application/json` and structured-syntax types `application/<x>+json`,
with no `charset` or `charset=utf-8` (RFC 8259: JSON exchanged between systems is
UTF-8). Everything else, including a missing `Content-Type`, is 415.
"""

from __future__ import annotations

JSON_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
ACCEPTED_MEDIA = "application/json"


def is_json_media_type(content_type: str | None) -> bool:
    """True for `application/json` or `application/*+json`, optionally `; charset=utf-8`."""
    if not content_type:
        return False
    kind, *params = (part.strip() for part in content_type.split(";"))
    kind = kind.lower()
    if not (
        kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))
    ):
        return False
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return False
    return True


def media_refusal(method: str, headers: dict[str, str]) -> str | None:
    """The 415 detail for a body that is not JSON, or None when the request may proceed."""
    if method not in JSON_BODY_METHODS or is_json_media_type(headers.get("content-type")):
        return None
    sent = headers.get("content-type") or "no Content-Type"
    return f"The request body must be JSON sent as 'Content-Type: {ACCEPTED_MEDIA}' (got {sent})."
