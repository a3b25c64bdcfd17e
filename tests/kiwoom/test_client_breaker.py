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
    """
    async with harness(FLAPPING_IN_BURSTS, cache_ttl=0.5) as h:
        for _ in range(2):  # two rounds, past the cache TTL the second time
            answers = await asyncio.gather(*(h.client.get_stock_price(code) for code in CODES))
            assert [a for a in answers if "서킷 브레이커" in a.get("fallback_reason", "")] == []
            assert (await h.client.health())["breaker"]["state"] == "closed"
            h.time.advance(1.0)
        rows = await h.tr_rows()
        assert sum(r["status"] == 503 for r in rows) >= 0.25 * len(rows)  # the fake did fail about 30 %


async def test_a_total_outage_under_concurrent_callers_opens_after_five_failed_requests() -> None:
    async with harness(OUTAGE_NOW) as h:
        answers = await asyncio.gather(*(h.client.get_stock_price(code) for code in CODES))
        assert {a["source"] for a in answers} == {"sample"}
        assert (await h.client.health())["breaker"]["state"] == "open"
        assert len(await h.tr_rows()) == 5
