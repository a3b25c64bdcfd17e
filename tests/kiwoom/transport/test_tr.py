"""The TR transport on its own: headers, the one token re-issue, the send gate and paging."""

from __future__ import annotations

import pytest

from fake_kiwoom import FakeKiwoomConfig
from kiwoom.errors import BreakerOpenError
from kiwoom.state.memory import MemoryRateBudget
from kiwoom.transport.pacing import RatePacer
from kiwoom.transport.tokens import TokenManager
from kiwoom.transport.tr import TRTransport
from tests.support.inprocess import InProcessFake, in_process_fake

pytestmark = pytest.mark.anyio


class Gate:
    """A send gate the test opens and closes (the client passes its breaker here)."""

    def __init__(self, closed_after: int | None = None) -> None:
        self.asked = 0
        self.closed_after = closed_after

    async def is_open(self) -> bool:
        self.asked += 1
        return self.closed_after is not None and self.asked > self.closed_after


def transport(fake: InProcessFake, *, gate: Gate | None = None, rate: float = 0.0, max_pages: int = 20) -> TRTransport:
    tokens = TokenManager(fake.http, "app-key", "secret-key", clock=fake.clock, sleep=fake.clock.sleep)
    pacer = RatePacer(MemoryRateBudget(rate, 1, clock=fake.clock), sleep=fake.clock.sleep)
    return TRTransport(
        fake.http, tokens, pacer, gate=gate, page_delay_s=0.0, max_pages=max_pages, sleep=fake.clock.sleep
    )


async def test_a_request_carries_the_api_id_and_bearer_token() -> None:
    async with in_process_fake() as fake:
        reply = await transport(fake).request("ka10001", {"stk_cd": "005930"})
        assert reply.body["stk_cd"] == "005930"
        assert fake.api_ids() == ["au10001", "ka10001"]


async def test_a_rejected_token_is_reissued_and_the_request_sent_once_more() -> None:
    async with in_process_fake() as fake:
        tr = transport(fake)
        await tr.request("ka10001", {"stk_cd": "005930"})
        fake.app.state.fake.tokens.clear()  # Kiwoom forgets the token: the next request gets 8005
        await tr.request("ka10001", {"stk_cd": "005930"})
        assert fake.api_ids() == ["au10001", "ka10001", "ka10001", "au10001", "ka10001"]


async def test_a_closed_gate_stops_the_request_before_it_is_sent() -> None:
    async with in_process_fake() as fake:
        tr = transport(fake, gate=Gate(closed_after=0))
        with pytest.raises(BreakerOpenError):
            await tr.request("ka10001", {"stk_cd": "005930"})
        assert "ka10001" not in fake.api_ids()


async def test_a_gate_that_closes_while_pacing_stops_the_queued_request() -> None:
    async with in_process_fake(FakeKiwoomConfig(rate_limit_per_s=0)) as fake:
        gate = Gate(closed_after=1)
        tr = transport(fake, gate=gate, rate=1.0)
        await tr.request("ka10001", {"stk_cd": "005930"})
        with pytest.raises(BreakerOpenError):
            await tr.request("ka10001", {"stk_cd": "000660"})  # waits for the budget, then the gate is shut
        assert fake.api_ids().count("ka10001") == 1


DAILY = {"stk_cd": "005930", "base_dt": "20251126", "upd_stkpc_tp": "1"}


async def test_pages_follow_next_key_until_the_server_says_no_more() -> None:
    async with in_process_fake() as fake:
        replies = await transport(fake).pages("ka10081", DAILY)
        assert len(replies) == 2
        assert (replies[0].cont_yn, bool(replies[0].next_key), replies[-1].cont_yn) == (True, True, False)


async def test_pages_stop_at_max_pages() -> None:
    async with in_process_fake() as fake:
        replies = await transport(fake, max_pages=1).pages("ka10081", DAILY)
        assert len(replies) == 1
        assert replies[-1].cont_yn is True


async def test_pages_stop_when_the_caller_has_enough() -> None:
    async with in_process_fake() as fake:
        replies = await transport(fake).pages("ka10081", DAILY, enough=lambda pages: len(pages) >= 1)
        assert len(replies) == 1
