"""The quoted thread under a reply: off before the pipeline, back on the way out.

The draft's quoted thread (service/quoting.py) is history: the plan, the
prompt, the model, the editor and the guard all work on the rep's new
message alone, and the response hands the thread back under every message
exactly as the draft had it. `before`, `after` and `changes` describe the new
message; their offsets index the draft as sent, whose new message comes first.
A cached response is checked with the whole draft (the guard leaves only a
thread identical to the draft's unread).
"""

from __future__ import annotations

from service.models import Message, RewriteRequest, RewriteResponse
from service.quoting import split_quoted


def without_thread(request: RewriteRequest) -> tuple[RewriteRequest, str]:
    """The request with only the draft's new message, and the thread that was under it."""
    new, quoted = split_quoted(request.draft.body)
    if not quoted:
        return request, ""
    draft = request.draft.model_copy(update={"body": new})
    return request.model_copy(update={"draft": draft}), quoted


def with_thread(response: RewriteResponse, quoted: str) -> RewriteResponse:
    """`response` with the draft's thread under the rewrite and every variant."""
    if not quoted:
        return response

    def add(message: Message) -> Message:
        return message.model_copy(update={"body": message.body + quoted})

    return response.model_copy(
        update={"rewrite": add(response.rewrite), "variants": [add(v) for v in response.variants]}
    )
