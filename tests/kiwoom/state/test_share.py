"""A worker pacing alone takes 1/N of the budget: the share computation and its bucket."""

from __future__ import annotations

import math

import pytest

from kiwoom.config import Settings
from kiwoom.errors import RedisUnavailableError
from kiwoom.observe import ClientObserver
from kiwoom.state.degrading import DegradingPresence, DegradingRateBudget, StorageHealth
from kiwoom.state.redis import RedisLink, RedisWorkerRegistry
from kiwoom.state.share import FairShareBudget, WorkerShare, allowance
from kiwoom.wiring import build_storage
from kiwoom_lab.loopback import free_port
from tests.support.clock import FakeTime

pytestmark = pytest.mark.anyio


def test_one_worker_keeps_the_whole_budget() -> None:
    share = allowance(0.9, 2, 1)
    assert (share.rate_per_s, share.capacity, share.slotted) == (0.9, 2.0, False)


def test_two_workers_each_get_half_the_rate_and_half_the_burst() -> None:
    share = allowance(0.9, 2, 2)
    assert share.rate_per_s == pytest.approx(0.45)
    assert (share.capacity, share.slotted) == (1.0, False)


@pytest.mark.parametrize(("burst", "workers"), [(2, 1), (2, 2), (4, 3), (5, 2), (10, 4)])
def test_the_bursts_of_all_workers_never_exceed_the_shared_burst(burst: int, workers: int) -> None:
    share = allowance(1.0, burst, workers)
    assert share.capacity >= 1.0
    assert share.capacity * workers <= burst
    assert share.rate_per_s * workers == pytest.approx(1.0)


def test_more_workers_than_the_burst_take_turns() -> None:
    share = allowance(0.9, 2, 4)
    assert share.slotted
    assert share.rate_per_s == pytest.approx(0.225)


def test_the_worker_count_is_the_larger_of_the_setting_and_the_live_registry() -> None:
    share = WorkerShare("me", configured=2)
    assert share.count == 2
    share.remember(["me", "b", "c"])
    assert share.count == 3
    assert share.rank == 2  # sorted ids: b, c, me


def test_two_workers_pacing_alone_send_at_half_the_rate_each() -> None:
    t = FakeTime()
    budget = FairShareBudget(1.0, 2, WorkerShare("me", configured=2), clock=t, wall=t)
    assert budget.take_now("ka10001") == 0.0
    assert budget.take_now("ka10001") == pytest.approx(2.0)  # burst 2/2 = 1, then one every 2 s


def test_workers_taking_turns_never_send_in_the_same_slot() -> None:
    t = FakeTime()
    ids = ["a", "b", "c", "d"]
    budgets = []
    for me in ids:
        share = WorkerShare(me)
        share.remember(ids)
        budgets.append(FairShareBudget(1.0, 2, share, clock=t, wall=t))
    sent: list[int] = []
    for _ in range(400):
        for budget in budgets:
            if budget.take_now("ka10001") == 0.0:
                sent.append(math.floor(t.now))
        t.advance(0.1)
    assert len(sent) == len(set(sent))  # at most one request per 1 s slot from all four
    assert len(sent) >= 39


def test_a_drained_budget_starts_empty() -> None:
    t = FakeTime()
    budget = FairShareBudget(1.0, 2, WorkerShare("me", configured=2), clock=t, wall=t)
    budget.drain()
    assert budget.take_now("ka10001") == pytest.approx(2.0)


def unreachable_link() -> RedisLink:
    return RedisLink(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.5, retry_s=5.0)


class DeadBudget:
    async def try_take(self, api_id: str) -> float:
        raise RedisUnavailableError("down")

    async def refund(self, api_id: str) -> None:
        raise RedisUnavailableError("down")


async def test_taking_over_from_the_shared_budget_starts_from_an_empty_bucket() -> None:
    t = FakeTime()
    link = unreachable_link()
    try:
        local = FairShareBudget(1.0, 2, WorkerShare("me", configured=2), clock=t, wall=t)
        budget = DegradingRateBudget(DeadBudget(), local, StorageHealth(link))
        assert await budget.try_take("ka10001") == pytest.approx(2.0)
    finally:
        await link.close()


async def test_the_live_workers_are_remembered_when_redis_goes_away() -> None:
    link = unreachable_link()
    try:
        share = WorkerShare("me")
        share.remember(["me", "other"])
        presence = DegradingPresence(RedisWorkerRegistry(link, "app-key", "me", 1.0), share, StorageHealth(link))
        await presence.renew()
        assert share.count == 2
    finally:
        await link.close()


async def test_the_workers_setting_reaches_the_budget_of_a_worker_alone() -> None:
    t = FakeTime()
    settings = Settings(_env_file=None, storage="memory", workers=2, rate_limit_per_s=1.0, rate_limit_burst=2)
    storage = build_storage(settings, wall=t, monotonic=t, observer=ClientObserver)
    budget = storage.budget_for("app-key")
    assert await budget.try_take("ka10001") == 0.0
    assert await budget.try_take("ka10001") == pytest.approx(1 / (0.9 / 2))  # half of the margined rate
