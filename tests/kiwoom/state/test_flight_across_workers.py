"""Two clients (as two workers) sharing a Redis: the call deadline holds while another worker loads the key."""

from __future__ import annotations

import asyncio
import time

import pytest

from fake_kiwoom import FakeKiwoomConfig
from fake_kiwoom.scenario_model import parse_scenario
from tests.kiwoom.state.test_redis_state import fleet

pytestmark = pytest.mark.anyio

HANG = """\
version: 1
name: every_quote_hangs
description: every ka10001 request hangs far longer than the call deadline
rules:
  - match: {api_id: ka10001}
    steps: [{times: null, fault: {type: hang, seconds: 30}}]
    then: hold
"""
DEADLINE_S = 1.0


@pytest.mark.realtime
async def test_a_caller_waiting_for_another_workers_slow_load_returns_within_its_deadline() -> None:
    config = FakeKiwoomConfig(seed=3, rate_limit_per_s=0)
    async with fleet(2, config=config, rate_limit_per_s=0, call_deadline_s=DEADLINE_S) as f:
        loader, waiter = f.clients
        await asyncio.gather(loader.connect(), waiter.connect())
        f.app.state.fake.engine.load(parse_scenario(HANG, "test"))
        loading = asyncio.create_task(loader.get_stock_price("005930"))
        await asyncio.sleep(0.1)  # the loader now holds the key's flight and waits on the hung request
        started = time.perf_counter()
        answer = await waiter.get_stock_price("005930")
        waited = time.perf_counter() - started
        await loading
    assert answer["source"] == "sample"
    # Before, the waiter sat out the loader's flight and then ran a full load of its own (~2 deadlines).
    assert waited < DEADLINE_S + 0.4
