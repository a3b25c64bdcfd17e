"""The breaker end to end: many concurrent callers through the client against the in-process fake.

The breaker judges a failure rate, so an upstream that fails 30 % of requests stays usable
even when concurrent callers see several of those failures in a row, while a total outage still
opens it after the minimum number of failed requests (``KIWOOM_BREAKER_FAILURES``, 5).
"""

from __future__ import annotations

import asyncio

import pytest

from fake_kiwoom.canned import OUTAGE_NOW
from fake_kiwoom.listings import LISTINGS
from tests.support.harness import harness

pytestmark = pytest.mark.anyio

CALLERS = 30
CODES = [listing.code for listing in LISTINGS][:CALLERS]

#: 30 % of ka10001 requests answer 503, forever, in bursts: of every 20 requests the 8th to
#: the 12th fail together (as concurrent requests caught by one bad moment do) and the 20th.
FLAPPING_IN_BURSTS = """
version: 1
name: flapping_in_bursts
description: six of every twenty quote requests fail with 503, five of them in a row
rules:
  - match: {api_id: ka10001}
    steps:
      - {times: 7, probability: 0.0, fault: {type: http_status, status: 503}}
      - {times: 5, fault: {type: http_status, status: 503}}
      - {times: 7, probability: 0.0, fault: {type: http_status, status: 503}}
      - {times: 1, fault: {type: http_status, status: 503}}
    then: cycle
"""


async def test_concurrent_callers_at_thirty_percent_failed_keep_the_breaker_closed() -> None:
    """Paced as the client always is (1 request/s per TR), so the window holds their outcomes in order.

    Some calls may still fall back when thirty callers queue past the call deadline; that is
    the deadline's doing, so the test asks only that none was answered by the breaker.
    Batching is off: this is the window's arithmetic over one request per caller.
    """
    async with harness(FLAPPING_IN_BURSTS, cache_ttl=0.5, batch_quotes=False) as h:
        for _ in range(2):  # two rounds, past the cache TTL the second time
            answers = await asyncio.gather(*(h.client.get_stock_price(code) for code in CODES))
            assert [a for a in answers if "서킷 브레이커" in a.get("fallback_reason", "")] == []
            assert (await h.client.health())["breaker"]["state"] == "closed"
            h.time.advance(1.0)
        rows = await h.tr_rows()
        assert sum(r["status"] == 503 for r in rows) >= 0.25 * len(rows)  # the fake did fail about 30 %


async def test_a_total_outage_under_concurrent_callers_opens_after_five_failed_requests() -> None:
    async with harness(OUTAGE_NOW, batch_quotes=False) as h:
        answers = await asyncio.gather(*(h.client.get_stock_price(code) for code in CODES))
        assert {a["source"] for a in answers} == {"sample"}
        assert (await h.client.health())["breaker"]["state"] == "open"
        assert len(await h.tr_rows()) == 5


async def test_a_failed_batch_is_one_failed_request_to_the_breaker() -> None:
    """Thirty callers in one failed ka10095 are one failed request, not thirty: the breaker stays closed."""
    async with harness(OUTAGE_NOW, max_retries=1) as h:
        answers = await asyncio.gather(*(h.client.get_stock_price(code) for code in CODES))
        assert {a["source"] for a in answers} == {"sample"}
        rows = [*(await h.tr_rows()), *(await h.tr_rows("ka10095"))]
        assert sorted(r["api_id"] for r in rows) == ["ka10001", "ka10001", "ka10095"]
        assert len(rows[-1]["stock_code"].split("|")) == CALLERS - 2
        breaker = (await h.client.health())["breaker"]
        assert breaker["state"] == "closed"
        assert (breaker["window_requests"], breaker["window_failures"]) == (3, 3)
