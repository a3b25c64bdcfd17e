"""The MCP-over-HTTP wire as the load tests speak it: request bodies, response parsing, verdicts.

Kept apart from ``bench/locustfile.py`` because importing locust monkey-patches the whole
process with gevent: the unit tests (and the floors) need these functions without that.
A streamable-HTTP server may answer a POST with plain JSON or with a server-sent event
stream (``event: message`` / ``data: {...}``); FastMCP picks SSE, the Starlette floor JSON,
so the parser accepts both and the two are measured with the same client code.

Sessions are optional: ``kiwoom-mcp --workers N`` runs *stateless* streamable HTTP (any
worker may answer any request, so no worker can hold a session). Its ``initialize`` hands
out no ``mcp-session-id``, and a client must then send none; :func:`session_of` and
:func:`request_headers` keep that rule in one place for the locust user and the pre-fill.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = "2025-06-18"
ACCEPT = "application/json, text/event-stream"
SESSION_HEADER = "mcp-session-id"
#: What ``notifications/initialized`` may answer: 202 per the spec, 200 from some servers.
NOTIFICATION_ACCEPTED = frozenset({200, 202})

#: Where a successful result's data may come from (``data.source``); anything else is a wire fault.
KNOWN_SOURCES = frozenset({"live", "cache", "stale", "sample", "simulated", "calendar"})
#: Sources that mean "upstream failed and we answered anyway" (fallbacks).
FALLBACK_SOURCES = frozenset({"stale", "sample"})


#: Twenty KOSPI/KOSDAQ listings the fake knows (real KRX codes).
STOCK_CODES: tuple[str, ...] = (
    "005930", "000660", "373220", "207940", "005380", "000270", "068270", "035420", "035720", "051910",
    "006400", "005490", "105560", "055550", "012330", "028260", "066570", "247540", "086520", "196170",
)  # fmt: skip
CACHE_HIT_CODE = "005930"
#: The batch calls ask for one of two fixed watchlists, as a user checking a portfolio does.
#: (Random sets of 10 would never hit the cache: every batch would wait for upstream pacing.)
WATCHLISTS: tuple[tuple[str, ...], ...] = (STOCK_CODES[:10], STOCK_CODES[10:])
#: (tool, weight) of the mixed load: quotes dominate, as they do in real assistant use.
MIXED_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("get_stock_price", 70),
    ("get_stock_history", 10),
    ("get_stock_info", 8),
    ("get_market_status", 7),
    ("get_stock_prices", 5),
)
MIXES = ("mixed", "price_only")


def mixed_arguments(tool: str, rng: random.Random) -> dict[str, Any]:
    """Random arguments of ``tool`` in the mixed load (always valid: invalid input is never sent)."""
    if tool == "get_market_status":
        return {}
    if tool == "get_stock_prices":
        return {"stock_codes": list(rng.choice(WATCHLISTS))}
    if tool == "get_stock_history":
        return {"stock_code": rng.choice(STOCK_CODES), "days": 30}
    return {"stock_code": rng.choice(STOCK_CODES)}


def distinct_mixed_calls() -> list[tuple[str, dict[str, Any]]]:
    """Every distinct (tool, arguments) the mixed load can send: calling each once fills the cache."""
    calls: list[tuple[str, dict[str, Any]]] = [("get_market_status", {})]
    calls += [("get_stock_prices", {"stock_codes": list(w)}) for w in WATCHLISTS]
    for code in STOCK_CODES:
        calls += [
            ("get_stock_price", {"stock_code": code}),
            ("get_stock_info", {"stock_code": code}),
            ("get_stock_history", {"stock_code": code, "days": 30}),
        ]
    return calls


class WireError(ValueError):
    """The body is neither a JSON-RPC message nor an event stream carrying one."""


def session_of(headers: Mapping[str, str] | Callable[[str], str | None] | None) -> str | None:
    """The session id an ``initialize`` answer handed out; ``None`` from a stateless server.

    ``headers`` is a mapping (looked up case-insensitively, as HTTP header names are) or a
    ``get``-like callable (locust's FastHttp response headers). An empty value counts as none.
    """
    if headers is None:
        return None
    if callable(headers):
        value = headers(SESSION_HEADER)
    else:
        value = next((v for k, v in headers.items() if k.lower() == SESSION_HEADER), None)
    return (value.strip() or None) if value else None


def request_headers(session_id: str | None) -> dict[str, str]:
    """Headers of a POST to ``/mcp``: the session header only when the server handed one out.

    A stateless server has no session to name; a made-up or stale id would only be refused.
    """
    headers = {"accept": ACCEPT, "content-type": "application/json", "mcp-protocol-version": PROTOCOL_VERSION}
    if session_id is not None:
        headers[SESSION_HEADER] = session_id
    return headers


def initialize_body(request_id: int, client_name: str = "bench-locust") -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": client_name, "version": "1"},
        },
    }


def initialized_notification() -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "notifications/initialized"}


def tool_call_body(request_id: int, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    }


def _sse_messages(text: str) -> list[Any]:
    """JSON payloads of the events in an SSE body (multi-line ``data:`` fields joined by newlines)."""
    messages: list[Any] = []
    data_lines: list[str] = []

    def flush() -> None:
        if data_lines:
            payload = "\n".join(data_lines)
            data_lines.clear()
            try:
                messages.append(json.loads(payload))
            except json.JSONDecodeError as exc:
                raise WireError(f"SSE data is not JSON: {payload[:80]!r}") from exc

    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line:
            flush()
        elif line.startswith("data:"):
            value = line[5:]
            data_lines.append(value[1:] if value.startswith(" ") else value)
    flush()
    return messages


def parse_rpc_response(body: bytes | str, content_type: str | None = None) -> dict[str, Any]:
    """The JSON-RPC response (a message with ``result`` or ``error``) in a JSON or SSE body.

    Server-to-client notifications that precede the response in a stream are skipped.
    """
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    stripped = text.lstrip()
    is_sse = (content_type or "").startswith("text/event-stream") or stripped.startswith(("event:", "data:", "id:"))
    if is_sse:
        candidates = _sse_messages(text)
    else:
        try:
            candidates = [json.loads(text)]
        except json.JSONDecodeError as exc:
            raise WireError(f"body is not JSON: {text[:80]!r}") from exc
    for message in candidates:
        if isinstance(message, dict) and ("result" in message or "error" in message):
            return message
    raise WireError(f"no JSON-RPC response in body: {text[:80]!r}")


@dataclass(frozen=True, slots=True)
class ToolVerdict:
    """What one ``tools/call`` answer means for the load test."""

    ok: bool
    #: Why it failed (``None`` when ``ok``); short and stable, so locust groups failures by it.
    reason: str | None = None
    source: str | None = None
    attempts: int | None = None

    @property
    def short_circuited(self) -> bool:
        """A fallback answered without asking upstream (attempts 0): the open breaker's fast path."""
        return self.source in FALLBACK_SOURCES and self.attempts == 0


def _envelope(result: dict[str, Any]) -> dict[str, Any] | None:
    structured = result.get("structuredContent")
    if isinstance(structured, dict):
        return structured
    for item in result.get("content") or []:
        if isinstance(item, dict) and item.get("type") == "text":
            try:
                decoded = json.loads(item.get("text", ""))
            except json.JSONDecodeError:
                return None
            return decoded if isinstance(decoded, dict) else None
    return None


def judge_tool_response(message: dict[str, Any], *, allow_unsuccessful: bool = False) -> ToolVerdict:
    """Judge a ``tools/call`` response: JSON-RPC errors fail, and so does ``success: false``.

    The load never sends invalid input, so an unsuccessful envelope is a failure of the
    server unless the run says a scenario expects errors (``allow_unsuccessful``, for
    ``KIWOOM_FALLBACK=error``). Fallback data (``stale``/``sample``) is ``success: true``.
    """
    error = message.get("error")
    if error is not None:
        code = error.get("code") if isinstance(error, dict) else None
        return ToolVerdict(False, f"JSON-RPC error {code}")
    result = message.get("result")
    if not isinstance(result, dict):
        return ToolVerdict(False, "no result")
    envelope = _envelope(result)
    if envelope is None or "success" not in envelope:
        return ToolVerdict(False, "no envelope")
    data = envelope.get("data")
    source = str(data.get("source")) if isinstance(data, dict) and "source" in data else None
    raw_attempts = data.get("attempts") if isinstance(data, dict) else None
    attempts = raw_attempts if isinstance(raw_attempts, int) else None
    if envelope["success"] is not True:
        if allow_unsuccessful:
            return ToolVerdict(True, None, "error", attempts)
        return ToolVerdict(False, f"success false: {str(envelope.get('error'))[:60]}", source, attempts)
    if result.get("isError"):
        return ToolVerdict(False, "isError with success true", source, attempts)
    if source not in KNOWN_SOURCES:
        return ToolVerdict(False, f"unknown data.source {source!r}", source, attempts)
    return ToolVerdict(True, None, source, attempts)


def percentile(histogram: Mapping[float, int], fraction: float) -> float | None:
    """The ``fraction`` quantile of a {value: count} histogram (nearest rank), ``None`` when empty."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(fraction * total - 1e-9))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return float(value)
    return float(max(histogram))
