"""Each breaker transition reaches the observer once, whichever backend decides it."""

from __future__ import annotations

import pytest

from kiwoom.config import Settings
from kiwoom.observe import ClientObserver
from kiwoom.wiring import build_storage
from kiwoom_lab.loopback import free_port
from tests.support.clock import FakeTime
from tests.support.redis import namespace, shared_redis_url

pytestmark = pytest.mark.anyio


class Transitions(ClientObserver):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def breaker(self, old_state: str, new_state: str) -> None:
        self.seen.append((old_state, new_state))


async def opened(redis_url: str) -> list[tuple[str, str]]:
    t = FakeTime()
    observer = Transitions()
    chosen = Settings(
        _env_file=None, redis_url=redis_url, redis_namespace=namespace(), redis_timeout_s=0.3, breaker_failures=2
    )
    storage = build_storage(chosen, wall=t, monotonic=t, observer=lambda: observer)
    try:
        await storage.breaker.record_failure()
        await storage.breaker.record_failure()
        assert await storage.breaker.is_open()
    finally:
        await storage.close()
    return observer.seen


async def test_a_shared_breaker_opening_is_reported_once() -> None:
    assert await opened(shared_redis_url()) == [("closed", "open")]


async def test_a_local_breaker_opening_is_reported_once_while_redis_is_down() -> None:
    assert await opened(f"redis://127.0.0.1:{free_port()}/0") == [("closed", "open")]
