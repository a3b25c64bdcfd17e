"""Prometheus metrics of the server and of the client under it (``GET /metrics``).

One registry per server instance, so tests and several servers in one process never
share counters. Every gauge has a value from the first scrape: a gauge set only on its
first change is absent until then, and an alert on it cannot tell "healthy" from "missing".
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from kiwoom.observe import ClientObserver

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BREAKER_STATES = ("closed", "open", "half_open")


class Metrics(ClientObserver):
    """Counters and histograms for tool calls and everything the client does upstream."""

    def __init__(self, *, storage_backend: str = "memory") -> None:
        """``storage_backend`` labels the storage gauge from the start (it begins healthy, as the stores do)."""
        self.registry = CollectorRegistry()
        r = self.registry
        self.tool_calls = Counter("kiwoom_mcp_tool_calls", "MCP tool calls", ["tool", "outcome"], registry=r)
        self.tool_latency = Histogram(
            "kiwoom_mcp_tool_latency_seconds", "MCP tool call latency", ["tool"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.tool_sources = Counter("kiwoom_mcp_tool_sources", "Data source of results", ["tool", "source"], registry=r)
        self.upstream = Counter("kiwoom_upstream_requests", "Requests to Kiwoom", ["api_id", "outcome"], registry=r)
        self.upstream_latency = Histogram(
            "kiwoom_upstream_latency_seconds", "Kiwoom request latency", ["api_id"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.retries = Counter("kiwoom_retries", "Retried upstream attempts", ["operation"], registry=r)
        self.cache_events = Counter("kiwoom_cache_events", "Cache lookups", ["operation", "event"], registry=r)
        self.fallbacks = Counter("kiwoom_fallbacks", "Answers not from upstream", ["operation", "kind"], registry=r)
        self.breaker_state = Gauge("kiwoom_breaker_state", "1 for the breaker's current state", ["state"], registry=r)
        for state in BREAKER_STATES:
            self.breaker_state.labels(state).set(1 if state == "closed" else 0)
        self.storage_healthy = Gauge(
            "kiwoom_storage_healthy", "1 while the shared-state backend is reachable", ["backend"], registry=r
        )
        self.storage_healthy.labels(storage_backend).set(1)

    def tool_call(self, tool: str, outcome: str, source: str | None, elapsed_s: float) -> None:
        self.tool_calls.labels(tool, outcome).inc()
        self.tool_latency.labels(tool).observe(elapsed_s)
        if source:
            self.tool_sources.labels(tool, source).inc()

    def upstream_request(self, api_id: str, outcome: str, elapsed_s: float) -> None:
        self.upstream.labels(api_id, outcome).inc()
        self.upstream_latency.labels(api_id).observe(elapsed_s)

    def retry(self, operation: str, attempt: int, delay_s: float, cause: str) -> None:
        self.retries.labels(operation).inc()

    def cache(self, operation: str, event: str) -> None:
        self.cache_events.labels(operation, event).inc()

    def fallback(self, operation: str, kind: str, reason: str) -> None:
        self.fallbacks.labels(operation, kind).inc()

    def breaker(self, old_state: str, new_state: str) -> None:
        for state in BREAKER_STATES:
            self.breaker_state.labels(state).set(1 if state == new_state else 0)

    def storage(self, backend: str, healthy: bool) -> None:
        self.storage_healthy.labels(backend).set(1 if healthy else 0)

    def render(self) -> bytes:
        return generate_latest(self.registry)
