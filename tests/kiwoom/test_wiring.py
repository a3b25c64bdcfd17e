"""The wiring reads settings once and hands each layer a value object that agrees with the others."""

from __future__ import annotations

import pytest

from kiwoom.config import Settings
from kiwoom.state.degrading import DegradingBreaker, DegradingResultStore
from kiwoom.state.memory import MemoryBreaker, MemoryResultStore
from kiwoom.wiring import LISTING_OPERATION, build_storage, guard_config, pacing_config
from tests.support.clock import FakeTime


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_the_rate_margin_is_applied_once_for_pacing_and_for_the_wait_after_a_1700() -> None:
    chosen = settings(rate_limit_per_s=1.0, rate_limit_margin=0.9)
    assert pacing_config(chosen).rate_per_s == pytest.approx(0.9)
    assert guard_config(chosen).rate_limit_wait_s == pytest.approx(pacing_config(chosen).interval_s)
    assert guard_config(chosen).rate_limit_wait_s == pytest.approx(1 / 0.9)


def test_disabled_pacing_means_no_wait_after_a_1700() -> None:
    assert guard_config(settings(rate_limit_per_s=0)).rate_limit_wait_s == 0.0


def test_the_listing_is_cached_for_the_listing_ttl_unless_overridden() -> None:
    assert guard_config(settings(listing_ttl_s=600)).ttl_for(LISTING_OPERATION) == 600
    overridden = settings(listing_ttl_s=600, cache_ttl_overrides={LISTING_OPERATION: 60})
    assert guard_config(overridden).ttl_for(LISTING_OPERATION) == 60


def test_retry_settings_become_the_guard_retry_policy() -> None:
    policy = guard_config(settings(max_retries=5, retry_delay=0.5, retry_jitter="full", call_deadline_s=9)).retry
    assert (policy.max_attempts, policy.base_delay_s, policy.jitter, policy.deadline_s) == (5, 0.5, "full", 9)


def test_memory_storage_uses_the_memory_stores() -> None:
    t = FakeTime()
    storage = build_storage(settings(), wall=t, monotonic=t, observer=lambda: None)  # type: ignore[arg-type, return-value]
    assert isinstance(storage.results, MemoryResultStore)
    assert isinstance(storage.breaker, MemoryBreaker)


@pytest.mark.anyio
async def test_redis_storage_degrades_to_memory_through_one_wrapper() -> None:
    t = FakeTime()
    chosen = settings(redis_url="redis://127.0.0.1:1/0", redis_timeout_s=0.2)
    storage = build_storage(chosen, wall=t, monotonic=t, observer=lambda: None)  # type: ignore[arg-type, return-value]
    try:
        assert isinstance(storage.results, DegradingResultStore)
        assert isinstance(storage.breaker, DegradingBreaker)
    finally:
        await storage.close()


def test_the_cache_byte_budget_reaches_the_guard_config() -> None:
    assert guard_config(settings(cache_max_bytes=1_000_000)).cache_max_bytes == 1_000_000
