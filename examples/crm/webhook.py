"""A CRM workflow step: when a follow-up is queued, rewrite it; when the rep sends it, say how.

A HubSpot/Salesforce workflow (or your own queue) calls `handle_queued` with the
queued follow-up; it returns the checked rewrite to put back in the task. When the
rep sends the message, `handle_sent` posts feedback: "accepted" when the rewrite
went out as is, "edited" when the rep changed it, "rejected" when they sent their
own draft. Retries are safe: the CRM's event id is the `Idempotency-Key`.

    python examples/crm/webhook.py --port 8088      # POST /queued and /sent to it
"""

from __future__ import annotations

import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

TACTFUL_URL = os.environ.get("TACTFUL_URL", "http://127.0.0.1:8000")


def _client() -> httpx.Client:
    key = os.environ.get("TACTFUL_API_KEY")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=TACTFUL_URL.rstrip("/"), headers=headers, timeout=60)


def to_request(event: dict[str, Any]) -> dict[str, Any]:
    """Map a CRM task (contact, deal, activity counts) onto a Tactful rewrite request."""
    contact = event.get("contact", {})
    deal = event.get("deal", {})
    owner = event.get("owner", {})
    context: dict[str, Any] = {
        "prospect": {
            "name": contact.get("name"),
            "company": contact.get("company"),
            "role": contact.get("title"),
        },
        "goal": deal.get("goal"),
        "notes": deal.get("notes"),
        "history": {
            "touches_since_reply": event.get("touches_since_reply"),
            "days_since_reply": event.get("days_since_reply"),
            "stage": deal.get("stage"),
        },
        "sender": {"name": owner.get("name"), "company": owner.get("company")},
    }
    return {
        "draft": {
            "channel": event.get("channel", "email"),
            "subject": event.get("subject"),
            "body": event["body"],
        },
        "context": _drop_empty(context),
    }


def _drop_empty(value: Any) -> Any:
    if isinstance(value, dict):
        cleaned = {k: _drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", {}, [])}
    return value


def handle_queued(event: dict[str, Any], client: httpx.Client | None = None) -> dict[str, Any]:
    """Rewrite the queued follow-up; the CRM stores `rewrite_id` on the task for later."""
    http = client or _client()
    try:
        response = http.post(
            "/v1/rewrites",
            json=to_request(event),
            headers={"Idempotency-Key": f"crm-{event['event_id']}"},
        )
        response.raise_for_status()
        result = response.json()
    finally:
        if client is None:
            http.close()
    return {
        "task_id": event.get("task_id"),
        "rewrite_id": result["id"],
        "subject": result["rewrite"].get("subject") or event.get("subject"),
        "body": result["rewrite"]["body"],
        "strategy": result["strategy"]["id"],
        "score_before": result["before"]["score"],
        "score_after": result["after"]["score"],
        "changes": [f"{c['rule']}: {c['principle']}" for c in result.get("changes", [])],
    }


def handle_sent(event: dict[str, Any], client: httpx.Client | None = None) -> dict[str, Any]:
    """The rep sent the message: tell Tactful what happened to the rewrite."""
    sent, suggested = event["sent_body"].strip(), event["suggested_body"].strip()
    if sent == suggested:
        outcome = "accepted"
    elif sent == event.get("original_body", "").strip():
        outcome = "rejected"
    else:
        outcome = "edited"
    http = client or _client()
    try:
        response = http.post(
            "/v1/feedback",
            json={"rewrite_id": event["rewrite_id"], "outcome": outcome, "final_text": sent},
            headers={"Idempotency-Key": f"crm-{event['event_id']}"},
        )
        response.raise_for_status()
    finally:
        if client is None:
            http.close()
    return {"rewrite_id": event["rewrite_id"], "outcome": outcome}


class _Handler(BaseHTTPRequestHandler):
    routes = {"/queued": handle_queued, "/sent": handle_sent}  # noqa: RUF012

    def do_POST(self) -> None:
        handler = self.routes.get(self.path)
        if handler is None:
            self.send_error(404)
            return
        event = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        try:
            body, status = json.dumps(handler(event)).encode(), 200
        except httpx.HTTPStatusError as exc:
            body, status = exc.response.content, exc.response.status_code
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    """Run the webhook handler from the command line."""
    parser = argparse.ArgumentParser(description="A CRM webhook that rewrites queued follow-ups")
    parser.add_argument("--port", type=int, default=8088)
    args = parser.parse_args()
    ThreadingHTTPServer(("127.0.0.1", args.port), _Handler).serve_forever()


if __name__ == "__main__":
    main()
