"""The fixed inputs every benchmark uses: one realistic draft, its context, the stub's answer.

The draft is a typical pushy follow-up of about 150 words, so the analyzer
has real work to do (several rules fire). The stub answer is written to pass
the guard for exactly this request: it only uses facts found in the context
or the draft, asks one question and stays inside the email budget. If the
guard or the prompt format changes, `python -m bench --check` says whether
the answer still passes (a composer fallback would silently measure the
wrong path).
"""

from __future__ import annotations

import json
from typing import Any

DRAFT_SUBJECT = "Following up on our inventory conversation"

# ~150 words, written for this project; several analyzer rules should fire on it.
DRAFT_BODY = """Hi Dana,

I wanted to follow up on my last email, since I have not heard back from you. I know \
you are busy, but I have reached out three times now and I really think our inventory \
planning platform could help Miles Outfitters. We are the industry leader in demand \
forecasting, and our best-in-class features let teams like yours leverage real-time \
data across every store.

When we spoke at the retail expo, you mentioned that keeping stock balanced across \
your three new stores was a priority this spring. Our customers usually see fewer \
stockouts within the first quarter, and our onboarding team handles the whole setup \
for you.

If you sign before Friday, I can offer an extra 15% off the first year. Would you be \
available for a 30-minute demo this week so I can walk you through the product? Let \
me know what time works best.

Thanks,
Chris"""

CONTEXT: dict[str, Any] = {
    "prospect": {"name": "Dana Miles", "company": "Miles Outfitters", "role": "Ops lead"},
    "goal": "keep stock balanced across three new stores",
    "notes": "Met at the retail expo; she worried about stockouts in the new stores.",
    "history": {"touches_since_reply": 3, "days_since_reply": 21, "stage": "proposal_sent"},
    "sender": {"name": "Chris", "company": "Stockwise", "offer": "inventory planning"},
}

DRAFT: dict[str, Any] = {"channel": "email", "subject": DRAFT_SUBJECT, "body": DRAFT_BODY}

ANALYZE_REQUEST: dict[str, Any] = {"draft": DRAFT, "context": CONTEXT}
REWRITE_REQUEST: dict[str, Any] = {"draft": DRAFT, "context": CONTEXT, "options": {}}

# What the stub model answers, in the tagged format of prompts/system.toml.
# Facts used: Dana, the retail expo, three new stores, stock balance (all in
# the context or the draft). One question, near the end; no pressure.
STUB_ANSWER = """<subject>Balancing stock across your three new stores</subject>
<body>
Hi Dana,

When we met at the retail expo, you said that keeping stock balanced across your three \
new stores mattered most this spring. One thing that helps teams in that spot is \
comparing weekly sell-through per store before moving stock, so the quieter locations \
stop holding what the busy ones need.

Priorities may well have shifted since then, and that is completely fine to tell me. \
Would it help to compare notes on how the new stores are tracking, or is someone else \
looking after this now?

Chris
</body>
<changes>
guilt_trip | no_guilt | I have reached out three times now => (removed)
false_urgency | real_urgency | If you sign before Friday => (removed)
sales_pitch_meeting | learning_conversation | a 30-minute demo => compare notes
</changes>"""


def word_count(text: str) -> int:
    return len(text.split())


def body_bytes(payload: dict[str, Any]) -> bytes:
    """Compact JSON, the way a CRM client would send it."""
    return json.dumps(payload, separators=(",", ":")).encode()
