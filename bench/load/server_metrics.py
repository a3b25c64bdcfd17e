"""Our server's ``/metrics``, read between locust runs: a digest of its counters and its tool latency.

Locust measures latency from outside, queueing included; the server's own histogram says
what the tool call itself took, which is what the outage target (p99 < 20 ms once the
breaker is open) is about. ``/metrics`` is per process, so with several workers it is not read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from bench.load.probes import http_text

if TYPE_CHECKING:
    from prometheus_client.samples import Sample


def _samples(server_url: str) -> Iterator[Sample]:
    """Every sample of our ``/metrics``, whatever its family."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(http_text(f"{server_url}/metrics")):
        yield from family.samples


def tool_latency_buckets(server_url: str) -> dict[float, float]:
    """Our ``kiwoom_mcp_tool_latency_seconds`` histogram over all tools: {upper bound s: cumulative count}."""
    buckets: dict[float, float] = {}
    for sample in _samples(server_url):
        if sample.name == "kiwoom_mcp_tool_latency_seconds_bucket":
            le = float(sample.labels["le"])
            buckets[le] = buckets.get(le, 0.0) + sample.value
    return buckets


def bucket_quantile(before: dict[float, float], after: dict[float, float], fraction: float) -> float | None:
    """Upper bound (ms) of the bucket holding the ``fraction`` quantile of what was observed in between."""
    delta = {le: after.get(le, 0.0) - before.get(le, 0.0) for le in after}
    total = delta.get(float("inf"), 0.0)
    if total <= 0:
        return None
    for le in sorted(delta):
        if delta[le] >= fraction * total:
            return None if le == float("inf") else round(le * 1000, 3)
    return None


#: Counter sample -> (digest entry, how its labels name a line of that entry).
_COUNTED: dict[str, tuple[str, str]] = {
    "kiwoom_mcp_tool_calls_total": ("tool_outcomes", "{outcome}"),
    "kiwoom_upstream_requests_total": ("upstream", "{api_id} {outcome}"),
    "kiwoom_retries_total": ("retries", "{operation}"),
    "kiwoom_fallbacks_total": ("fallbacks", "{kind}"),
    "kiwoom_cache_events_total": ("cache", "{event}"),
}


def read_metrics(server_url: str) -> dict[str, Any]:
    """A digest of our ``/metrics``: tool outcomes, upstream outcomes, retries, fallbacks, breaker."""
    digest: dict[str, Counter[str]] = {entry: Counter() for entry, _ in _COUNTED.values()}
    breaker = "unknown"
    for sample in _samples(server_url):
        if sample.name in _COUNTED:
            entry, line = _COUNTED[sample.name]
            digest[entry][line.format(**sample.labels)] += int(sample.value)
        elif sample.name == "kiwoom_breaker_state" and sample.value == 1:
            breaker = sample.labels["state"]
    return {name: dict(counts) for name, counts in digest.items()} | {"breaker": breaker}
