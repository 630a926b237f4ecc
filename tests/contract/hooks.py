"""schemathesis hooks for `make contract` (loaded through SCHEMATHESIS_HOOKS).

A real client draws a fresh `Idempotency-Key` for each new request. Hypothesis
draws few distinct header values, so two different generated bodies often share
a key, and the server rightly answers 422 ("this key was used with a different
request"), which schemathesis would read as valid data rejected. So a well-formed
key is replaced by a fresh one before each call; a malformed one is left as drawn,
so negative testing still checks that it is refused (400). Replays with the same
key are tested in tests/integration/test_api_production.py.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import schemathesis

_VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    """Give each request with a well-formed Idempotency-Key a key of its own."""
    headers = case.headers
    if not headers:
        return
    for name in list(headers):
        if name.lower() == "idempotency-key" and _VALID_KEY.match(str(headers[name])):
            headers[name] = uuid.uuid4().hex
