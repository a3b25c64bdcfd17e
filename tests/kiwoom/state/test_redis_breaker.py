"""The breaker every worker shares through Redis, against a real Redis and the real clock.

Its window buckets and its cool-down are on Redis's clock (``TIME`` and key expiry), so
a fake clock cannot move them: tests that need time to pass wait (briefly) in real time
and are marked ``realtime``; the others record everything well inside a 30 s window.
"""

from __future__ import annotations

import asyncio

import pytest

from kiwoom.state.redis import RedisBreaker, RedisLink
from tests.support.redis import namespaced_link

pytestmark = pytest.mark.anyio


def shared(
    link: RedisLink,
    *,
    min_requests: int = 5,
    cooldown_s: float = 30.0,
    window_s: float = 30.0,
    changes: list[tuple[str, str]] | None = None,
) -> RedisBreaker:
    seen = changes if changes is not None else []
    return RedisBreaker(
        link,
        min_requests=min_requests,
        failure_rate=0.5,
        window_s=window_s,
        cooldown_s=cooldown_s,
        on_change=lambda old, new: seen.append((old, new)),
    )


async def record(breaker: RedisBreaker, pattern: str) -> None:
    """``pattern``: outcomes oldest first, ``x`` a failed request and ``.`` a success."""
    for outcome in pattern:
        await (breaker.record_failure() if outcome == "x" else breaker.record_success())


async def test_a_total_outage_opens_it_at_the_minimum_number_of_requests() -> None:
    async with namespaced_link() as link:
        changes: list[tuple[str, str]] = []
        breaker = shared(link, min_requests=5, changes=changes)
        await record(breaker, "xxxx")
        assert await breaker.allow()
        await breaker.record_failure()
        assert (await breaker.is_open(), await breaker.allow()) == (True, False)
        assert changes == [("closed", "open")]


async def test_thirty_percent_failures_keep_it_closed() -> None:
    async with namespaced_link() as link:
        breaker = shared(link)
        await record(breaker, "..x" * 20)
        assert not await breaker.is_open()


async def test_a_run_of_failures_among_many_successes_keeps_it_closed() -> None:
    async with namespaced_link() as link:
        breaker = shared(link, min_requests=5)
        await record(breaker, "." * 20 + "xxxxxx")
        snap = await breaker.snapshot()
        assert (snap["state"], snap["window_requests"], snap["window_failures"]) == ("closed", 26, 6)


async def test_a_failure_rate_at_the_threshold_opens_it() -> None:
    async with namespaced_link() as link:
        breaker = shared(link)
        await record(breaker, ".....xxxx")
        assert not await breaker.is_open()
        await breaker.record_failure()
        assert await breaker.is_open()


async def test_a_success_never_opens_it() -> None:
    async with namespaced_link() as link:
        breaker = shared(link, min_requests=5)
        await record(breaker, "xxx..")
        assert not await breaker.is_open()
        await breaker.record_failure()
        assert await breaker.is_open()


async def test_a_late_success_while_open_does_not_close_it() -> None:
    async with namespaced_link() as link:
        changes: list[tuple[str, str]] = []
        breaker = shared(link, changes=changes)
        await record(breaker, "xxxxx.")
        assert await breaker.is_open()
        assert changes == [("closed", "open")]


async def test_workers_share_one_window() -> None:
    """Failures seen by different workers add up: together they are one client of Kiwoom."""
    async with namespaced_link() as link:
        first, second = shared(link), shared(link)
        await record(first, "xx")
        await record(second, "xx")
        await first.record_failure()
        assert await second.is_open()


@pytest.mark.realtime
async def test_outcomes_older_than_the_window_no_longer_count() -> None:
    async with namespaced_link() as link:
        breaker = shared(link, min_requests=5, window_s=0.5)
        await record(breaker, "xxxx")
        await asyncio.sleep(0.6)
        await breaker.record_failure()
        snap = await breaker.snapshot()
        assert (snap["state"], snap["window_requests"], snap["window_failures"]) == ("closed", 1, 1)


@pytest.mark.realtime
async def test_probe_success_closes_with_an_empty_window() -> None:
    async with namespaced_link() as link:
        breaker = shared(link, cooldown_s=1.0)  # also the probe's lease: long enough on a busy machine
        await record(breaker, "xxxxx")
        await asyncio.sleep(1.1)
        assert await breaker.allow()  # the probe
        assert not await breaker.allow()
        await breaker.record_success()
        snap = await breaker.snapshot()
        assert (snap["state"], snap["window_requests"]) == ("closed", 0)


@pytest.mark.realtime
async def test_probe_failure_reopens_it() -> None:
    async with namespaced_link() as link:
        breaker = shared(link, cooldown_s=1.0)  # also the probe's lease: long enough on a busy machine
        await record(breaker, "xxxxx")
        await asyncio.sleep(1.1)
        assert await breaker.allow()
        await breaker.record_failure()
        assert await breaker.is_open()


@pytest.mark.realtime
async def test_a_late_failure_does_not_extend_the_shared_cooldown() -> None:
    """A request already in flight when the breaker opened may fail late; that must not push the probe back."""
    async with namespaced_link() as link:
        breaker = shared(link, min_requests=2, cooldown_s=1.0)
        await breaker.record_failure()
        await breaker.record_failure()
        assert not await breaker.allow()
        await asyncio.sleep(0.7)
        await breaker.record_failure()
        await asyncio.sleep(0.45)
        assert await breaker.allow()  # half-open on time: one probe
