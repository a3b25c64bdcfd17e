"""Burst of distinct codes (issue 13): N concurrent ``get_stock_price``, one code each, at Kiwoom's pacing.

Why: the fake, like Kiwoom, lets each TR through at 1 request/s with a burst of 2, so N
distinct codes loaded as N ka10001 requests keep the last caller waiting about N seconds.
Merging concurrent single-code lookups into ka10095 (up to 100 codes a request) should
answer them all within a couple of seconds, with at most a few upstream requests, while an
isolated call stays on ka10001 and is no slower. This measures the client alone, in process
(``ASGITransport``, no MCP, no sockets); ``python -m bench.loadrun --burst N`` measures the
same through the real servers.

Both the fake and the client run at their defaults (pacing on: that is the point). Each
round gets a fresh fake and client whose token is issued in the untimed setup, so that a
round times what a warm server with a cold cache does. Figures, not assertions: per-call
p50/p99/max, the fake's TR requests by api-id, its 1700s, and the ``source`` of each answer
go into ``extra_info`` (``--benchmark-json``) and are printed (``-s``).

Sizes: 20 and 100 by default, ``BENCH_BURST_SIZES=20,48`` to choose; a size above the
listings the fake has (``fake_kiwoom.listings.LISTINGS``, non-ETF first) is skipped.
Unbatched, a round of 100 lasts until the client's call deadline (45 s), hence one round.

Run: ``pytest bench/test_bench_burst.py -p no:cacheprovider --benchmark-columns=median,rounds -s``.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from typing import Any

import httpx2
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bench.load.burst import QUOTE_TRS, latency_figures, ordered_codes
from fake_kiwoom import FakeKiwoomConfig, create_app
from kiwoom import KiwoomClient, Settings

CODES = ordered_codes()
SIZES = [int(n) for n in os.environ.get("BENCH_BURST_SIZES", "20,100").split(",") if n.strip()]
ISOLATED_CODE = CODES[0]

Pair = tuple[KiwoomClient, Any]


def fresh_pair(loop: asyncio.AbstractEventLoop) -> Pair:
    """A fake at its default rate limit and a client at its default pacing, token already issued."""
    app = create_app(FakeKiwoomConfig(seed=1))
    client = KiwoomClient(
        Settings(_env_file=None, base_url="http://fake-kiwoom"), transport=httpx2.ASGITransport(app=app)
    )
    loop.run_until_complete(client.ensure_token())
    return client, app


def upstream(app: Any) -> dict[str, Any]:
    """TR requests the fake saw (the token call left out), by api-id, and its rate-limit answers."""
    trs = [e for e in app.state.journal.entries() if e.path.startswith("/api/")]
    by_api_id = dict(Counter(str(e.api_id) for e in trs).most_common())
    return {
        "by_api_id": by_api_id,
        "quote_requests": sum(by_api_id.get(api_id, 0) for api_id in QUOTE_TRS),
        "kiwoom_1700": sum(1 for e in trs if e.detail_code == 1700),
        "status_429": sum(1 for e in trs if e.status == 429),
    }


async def timed_call(client: KiwoomClient, code: str) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        result = await client.get_stock_price(code)
    except Exception as exc:  # a figure to report, not a crash of the benchmark
        return time.perf_counter() - started, f"error: {type(exc).__name__}"
    return time.perf_counter() - started, str(result.get("source"))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("n", SIZES)
def test_burst_of_distinct_codes(benchmark: BenchmarkFixture, loop: asyncio.AbstractEventLoop, n: int) -> None:
    """N concurrent ``get_stock_price`` on N distinct codes, cold cache: latencies and upstream requests."""
    if n > len(CODES):
        pytest.skip(f"the fake lists {len(CODES)} codes (fake_kiwoom.listings.LISTINGS): a burst of {n} needs {n}")
    codes = CODES[:n]
    rounds: list[dict[str, Any]] = []

    async def all_at_once(client: KiwoomClient) -> list[tuple[float, str]]:
        return await asyncio.gather(*(timed_call(client, code) for code in codes))

    def burst(client: KiwoomClient, app: Any) -> None:
        calls = loop.run_until_complete(all_at_once(client))
        # Counted when the last caller has its answer: what answering the burst took upstream.
        rounds.append(
            {
                **latency_figures([seconds for seconds, _ in calls]),
                **upstream(app),
                "sources": dict(Counter(source for _, source in calls).most_common()),
            }
        )

    benchmark.pedantic(
        burst,
        setup=lambda: (fresh_pair(loop), {}),
        teardown=lambda client, _app: loop.run_until_complete(client.close()),
        rounds=2 if n <= 20 else 1,
        iterations=1,
    )
    benchmark.extra_info.update(
        {
            "n": n,
            "p50_s": [r["p50_s"] for r in rounds],
            "p99_s": [r["p99_s"] for r in rounds],
            "max_s": [r["max_s"] for r in rounds],
            "upstream_by_api_id": [r["by_api_id"] for r in rounds],
            "quote_requests": [r["quote_requests"] for r in rounds],
            "kiwoom_1700": [r["kiwoom_1700"] for r in rounds],
            "status_429": [r["status_429"] for r in rounds],
            "sources": [r["sources"] for r in rounds],
        }
    )
    print(f"\nburst of {n}: {benchmark.extra_info}")


def test_isolated_cold_call(benchmark: BenchmarkFixture, loop: asyncio.AbstractEventLoop) -> None:
    """One ``get_stock_price`` on a fresh client (token held, cache empty): batching must not slow it."""
    seen: list[dict[str, Any]] = []

    def one(client: KiwoomClient, app: Any) -> None:
        result = loop.run_until_complete(client.get_stock_price(ISOLATED_CODE))
        seen.append({"source": str(result.get("source")), **upstream(app)})

    benchmark.pedantic(
        one,
        setup=lambda: (fresh_pair(loop), {}),
        teardown=lambda client, _app: loop.run_until_complete(client.close()),
        rounds=10,
        iterations=1,
    )
    benchmark.extra_info.update(
        {
            "sources": dict(Counter(s["source"] for s in seen).most_common()),
            "upstream_by_api_id": seen[-1]["by_api_id"],
            "kiwoom_1700": sum(s["kiwoom_1700"] for s in seen),
        }
    )
    print(f"\nisolated cold call: {benchmark.extra_info}")
