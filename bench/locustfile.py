"""Locust load for an MCP server over streamable HTTP (ours on 8030, or a floor in ``bench/floors.py``).

Each simulated user is one MCP client: ``initialize`` (a stateful server hands out an
``mcp-session-id``; a stateless one, ``kiwoom-mcp --workers N``, hands out none),
``notifications/initialized`` (202 or 200), then ``tools/call`` requests, carrying the
session header only when there is a session, back to back (no think time: the runs measure capacity, not a day in the
life of an assistant). Requests are named by tool (``tools/call get_stock_price``) so the
HTML report and the JSON stats break latency down per tool.

The mix comes from ``MCP_BENCH_MIX`` (or the ``mix`` class attribute):

* ``mixed`` (default): mostly quotes over 20 codes, some 30-day history, stock info,
  market status and a 10-code batch, roughly what an assistant asks;
* ``price_only``: ``get_stock_price`` of one code, over and over: after the first call
  every answer is a cache hit, so this measures our layers on top of FastMCP.

A request fails on a non-2xx status, on an unparsable body, on a JSON-RPC error and on
``success: false`` (no invalid input is ever sent; ``MCP_BENCH_ALLOW_UNSUCCESSFUL=1`` is
for runs with ``KIWOOM_FALLBACK=error``). Fallback answers are ``success: true`` and are
counted by ``data.source``. Those counts, the HTTP statuses and the latency of answers the
open breaker short-circuited are written as JSON to ``MCP_BENCH_STATS_FILE`` at the end,
since locust's own JSON has no room for them. With ``MCP_BENCH_COMPLETIONS_FILE`` set, every
tool call's completion is logged too (epoch time, latency, ok, HTTP status), for the chaos
run (``python -m bench.loadrun --chaos``): its longest stall, the longest interval in which
no call completed, needs per-call timestamps, which locust's aggregated stats do not keep.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter, defaultdict
from typing import Any, ClassVar

from locust import FastHttpUser, constant, events, task

from bench.mcp_wire import (
    CACHE_HIT_CODE,
    MIXED_WEIGHTS,
    MIXES,
    NOTIFICATION_ACCEPTED,
    WireError,
    initialize_body,
    initialized_notification,
    judge_tool_response,
    mixed_arguments,
    parse_rpc_response,
    request_headers,
    session_of,
    tool_call_body,
)


class RunStats:
    """What the server's answers said, beyond pass/fail: sources, statuses, fast-path latency."""

    def __init__(self) -> None:
        self.sources: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.http_status: Counter[int] = Counter()
        self.failures: Counter[str] = Counter()
        #: Latency (ms, 0.1 ms resolution) of fallbacks that never asked upstream (breaker open).
        self.short_circuit_ms: Counter[float] = Counter()
        #: ``[epoch s, latency ms, ok, HTTP status]`` per tool call, kept only when asked for.
        self.completions: list[tuple[float, float, bool, int]] | None = (
            [] if os.environ.get("MCP_BENCH_COMPLETIONS_FILE") else None
        )

    def complete(self, elapsed_ms: float, ok: bool, status: int) -> None:
        """Log one tool call's completion (when a completions file was asked for)."""
        if self.completions is not None:
            self.completions.append((round(time.time(), 4), round(elapsed_ms, 1), ok, status))

    def as_dict(self, mix: str) -> dict[str, Any]:
        return {
            "mix": mix,
            "sources": {tool: dict(counts) for tool, counts in sorted(self.sources.items())},
            "http_status": {str(code): n for code, n in sorted(self.http_status.items())},
            "http_5xx": sum(n for code, n in self.http_status.items() if code >= 500),
            "failures": dict(self.failures.most_common()),
            "short_circuit_ms": {str(ms): n for ms, n in sorted(self.short_circuit_ms.items())},
        }


STATS = RunStats()


class McpUser(FastHttpUser):
    """One MCP client session calling tools back to back."""

    wait_time = constant(0)
    mix: ClassVar[str] = os.environ.get("MCP_BENCH_MIX", "mixed")
    allow_unsuccessful: ClassVar[bool] = os.environ.get("MCP_BENCH_ALLOW_UNSUCCESSFUL", "") == "1"

    def on_start(self) -> None:
        if self.mix not in MIXES:
            raise ValueError(f"MCP_BENCH_MIX must be one of {MIXES}, got {self.mix!r}")
        self.rng = random.Random()
        self.next_id = 0
        #: Whether ``initialize`` succeeded; apart from ``session_id``, which a stateless server never sets.
        self.initialized = False
        self.session_id: str | None = None
        self._initialize()

    def _headers(self) -> dict[str, str]:
        return request_headers(self.session_id)

    def _initialize(self) -> None:
        """Open a session; on failure the next task tries again (and that failure is counted)."""
        self.next_id += 1
        self.initialized = False
        self.session_id = None
        body = json.dumps(initialize_body(self.next_id))
        with self.client.post(
            "/mcp", data=body, headers=self._headers(), name="initialize", catch_response=True
        ) as response:
            STATS.http_status[response.status_code] += 1
            session = session_of(response.headers.get if response.headers else None)
            if response.status_code != 200:
                response.failure(f"initialize: HTTP {response.status_code}")
                return
            try:
                message = parse_rpc_response(response.content or b"", response.headers.get("content-type"))
            except WireError as exc:
                response.failure(f"initialize: {exc}")
                return
            if "error" in message:
                response.failure(f"initialize: JSON-RPC error {message['error']}")
                return
            self.initialized = True
            self.session_id = session
        with self.client.post(
            "/mcp",
            data=json.dumps(initialized_notification()),
            headers=self._headers(),
            name="notifications/initialized",
            catch_response=True,
        ) as response:
            STATS.http_status[response.status_code] += 1
            if response.status_code not in NOTIFICATION_ACCEPTED:
                response.failure(f"notifications/initialized: HTTP {response.status_code}")

    @task
    def call_tool(self) -> None:
        if not self.initialized:
            self._initialize()
            if not self.initialized:
                return
        if self.mix == "price_only":
            tool, arguments = "get_stock_price", {"stock_code": CACHE_HIT_CODE}
        else:
            tools, weights = zip(*MIXED_WEIGHTS, strict=True)
            tool = self.rng.choices(tools, weights)[0]
            arguments = mixed_arguments(tool, self.rng)
        self.call(tool, arguments)

    def call(self, tool: str, arguments: dict[str, Any]) -> None:
        """One ``tools/call``, judged; the verdict's reason becomes locust's failure message."""
        self.next_id += 1
        body = json.dumps(tool_call_body(self.next_id, tool, arguments))
        started = time.perf_counter()
        with self.client.post(
            "/mcp", data=body, headers=self._headers(), name=f"tools/call {tool}", catch_response=True
        ) as response:
            elapsed_ms = (time.perf_counter() - started) * 1000
            status = response.status_code
            STATS.http_status[status] += 1
            if status != 200:
                reason = f"HTTP {status}"
                if status == 404 and self.session_id is not None:  # the server forgot the session
                    self.initialized = False  # open a new one next time
                STATS.failures[f"{tool}: {reason}"] += 1
                STATS.complete(elapsed_ms, False, status)
                response.failure(reason)
                return
            try:
                message = parse_rpc_response(response.content or b"", response.headers.get("content-type"))
            except WireError as exc:
                STATS.failures[f"{tool}: unparsable"] += 1
                STATS.complete(elapsed_ms, False, status)
                response.failure(str(exc))
                return
            verdict = judge_tool_response(message, allow_unsuccessful=self.allow_unsuccessful)
            if verdict.source is not None:
                STATS.sources[tool][verdict.source] += 1
            if verdict.short_circuited:
                STATS.short_circuit_ms[round(elapsed_ms, 1)] += 1
            STATS.complete(elapsed_ms, verdict.ok, status)
            if not verdict.ok:
                STATS.failures[f"{tool}: {verdict.reason}"] += 1
                response.failure(verdict.reason)
            else:
                response.success()


def _write_stats(**_kwargs: Any) -> None:
    """Write :data:`STATS` where the runner asked (``MCP_BENCH_STATS_FILE``, ``MCP_BENCH_COMPLETIONS_FILE``)."""
    path = os.environ.get("MCP_BENCH_STATS_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(STATS.as_dict(McpUser.mix), handle, indent=2)
    completions = os.environ.get("MCP_BENCH_COMPLETIONS_FILE")
    if completions and STATS.completions is not None:
        with open(completions, "w", encoding="utf-8") as handle:
            json.dump(STATS.completions, handle, separators=(",", ":"))


events.quitting.add_listener(_write_stats)
