"""A small Tactful client with httpx: analyze, rewrite (JSON or streamed), feedback.

    python examples/python/tactful_client.py --url http://127.0.0.1:8000 "Just checking in..."

Set TACTFUL_API_KEY when the API requires a key. The event stream is parsed per the
SSE spec (the API ends lines with CRLF; httpx's iter_lines splits CRLF, LF and CR).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Event:
    event: str
    data: Any


class TactfulError(Exception):
    """A problem+json answer: `status`, `title`, `detail`, and `retry_after` for a 429."""

    def __init__(self, response: httpx.Response) -> None:
        try:
            problem = response.json()
        except ValueError:
            problem = {}
        self.status = response.status_code
        self.problem = problem if isinstance(problem, dict) else {}
        self.retry_after = response.headers.get("retry-after")
        super().__init__(
            f"{self.status}: {self.problem.get('detail') or self.problem.get('title')}"
        )


class Tactful:
    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 60.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def __enter__(self) -> Tactful:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def _post(self, path: str, body: dict[str, Any], **headers: str) -> dict[str, Any]:
        response = self._http.post(path, json=body, headers=headers)
        if response.is_error:
            raise TactfulError(response)
        result: dict[str, Any] = response.json()
        return result

    def analyze(self, body: str, *, channel: str = "email", **request: Any) -> dict[str, Any]:
        return self._post("/v1/analyze", {"draft": {"channel": channel, "body": body}, **request})

    def rewrite(
        self, request: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._post("/v1/rewrites", request, **headers)

    def rewrite_stream(self, request: dict[str, Any]) -> Iterator[Event]:
        """Yields `strategy`, `delta`... and a final `result` event (the checked rewrite)."""
        with self._http.stream(
            "POST", "/v1/rewrites", json=request, headers={"Accept": "text/event-stream"}
        ) as response:
            if response.is_error:
                response.read()
                raise TactfulError(response)
            yield from parse_sse(response.iter_lines())

    def feedback(
        self, rewrite_id: str, outcome: str, final_text: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        body = {"rewrite_id": rewrite_id, "outcome": outcome, **extra}
        if final_text is not None:
            body["final_text"] = final_text
        return self._post("/v1/feedback", body)


def parse_sse(lines: Iterator[str]) -> Iterator[Event]:
    """Events from split lines: `field: value`; `data` lines joined; a blank line dispatches."""
    event, data = "", []
    for line in lines:
        if not line:
            if data:
                raw = "\n".join(data)
                try:
                    value: Any = json.loads(raw)
                except ValueError:
                    value = raw
                yield Event(event or "message", value)
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        field, _, value_text = line.partition(":")
        value_text = value_text.removeprefix(" ")
        if field == "event":
            event = value_text
        elif field == "data":
            data.append(value_text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite a draft from the command line and print the checked result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("TACTFUL_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--channel", default="email")
    parser.add_argument("draft", help="the draft's body")
    args = parser.parse_args(argv)
    with Tactful(args.url, os.environ.get("TACTFUL_API_KEY")) as tactful:
        analysis = tactful.analyze(args.draft, channel=args.channel)
        print(f"score {analysis['score']}: {[f['rule'] for f in analysis['findings']]}")
        request = {"draft": {"channel": args.channel, "body": args.draft}}
        result: dict[str, Any] = {}
        for event in tactful.rewrite_stream(request):
            if event.event == "delta":
                sys.stdout.write(event.data["text"])
            elif event.event == "result":
                result = event.data
        print(f"\n---\nchecked ({result['source']}):\n{result['rewrite']['body']}")
        tactful.feedback(result["id"], "accepted", result["rewrite"]["body"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
