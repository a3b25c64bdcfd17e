"""``/metrics`` from the first scrape: every gauge has a value before anything has changed."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from kiwoom import KiwoomClient, Settings
from kiwoom.mcp import KiwoomMCPServer


def gauges_without_samples(server: KiwoomMCPServer) -> list[str]:
    families = text_string_to_metric_families(server.metrics.render().decode())
    return [f.name for f in families if f.type == "gauge" and not f.samples]


def storage_samples(server: KiwoomMCPServer) -> dict[str, float]:
    families = text_string_to_metric_families(server.metrics.render().decode())
    found = next(f for f in families if f.name == "kiwoom_storage_healthy")
    return {sample.labels["backend"]: sample.value for sample in found.samples}


def test_every_gauge_has_a_value_from_the_start() -> None:
    server = KiwoomMCPServer(KiwoomClient(Settings(_env_file=None)))
    assert gauges_without_samples(server) == []


def test_storage_health_is_exported_from_the_start_with_the_memory_backend() -> None:
    server = KiwoomMCPServer(KiwoomClient(Settings(_env_file=None)))
    assert storage_samples(server) == {"memory": 1.0}


def test_storage_health_is_exported_from_the_start_with_the_redis_backend() -> None:
    """Built, not connected: no Redis command is needed to export the gauge."""
    server = KiwoomMCPServer(KiwoomClient(Settings(_env_file=None, redis_url="redis://127.0.0.1:1/0")))
    assert storage_samples(server) == {"redis": 1.0}
