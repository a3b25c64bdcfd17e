"""Workers as clients: a killed worker stops counting, and a Redis outage keeps each within 1/N."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import pytest

from fake_kiwoom import FakeKiwoomConfig, create_app
from kiwoom import KiwoomClient, Settings
from kiwoom_lab.loopback import free_port
from tests.support.redis import namespace, private_redis, shared_redis_url

pytestmark = [pytest.mark.anyio, pytest.mark.realtime]

LEASE_S = 2.0  # short, so that an expiry fits in a test; the heartbeat renews every 0.67 s


def client(app: Any, redis_url: str, ns: str, **overrides: Any) -> KiwoomClient:
    values: dict[str, Any] = {
        "base_url": "http://fake",
        "page_delay_s": 0,
        "redis_url": redis_url,
        "redis_namespace": ns,
        "worker_lease_s": LEASE_S,
        **overrides,
    }
    return KiwoomClient(Settings(_env_file=None, **values), transport=httpx2.ASGITransport(app=app))


def journal(app: Any) -> list[tuple[str, int | None]]:
    return [(e.api_id, e.detail_code) for e in app.state.journal.entries()]


async def test_the_last_live_worker_revokes_the_token_after_another_was_killed() -> None:
    url, ns = shared_redis_url(), namespace()
    app = create_app(FakeKiwoomConfig(seed=3, rate_limit_per_s=0))
    killed, survivor = client(app, url, ns), client(app, url, ns)
    try:
        assert await killed.connect()
        assert await survivor.connect()
        assert killed.tokens is not None
        await killed.tokens.stop_heartbeat()  # as after kill -9: no more renewals, and no leave
        await asyncio.sleep(LEASE_S + 0.3)
        await survivor.close()
        assert [api_id for api_id, _ in journal(app)].count("au10002") == 1
    finally:
        await survivor.close()
        await killed.close()


async def test_a_live_worker_keeps_its_lease_and_the_token() -> None:
    url, ns = shared_redis_url(), namespace()
    app = create_app(FakeKiwoomConfig(seed=3, rate_limit_per_s=0))
    first, second = client(app, url, ns), client(app, url, ns)
    try:
        assert await first.connect()
        assert await second.connect()
        await asyncio.sleep(LEASE_S + 0.5)  # longer than a lease: only the heartbeat keeps first counted
        await second.close()
        assert [api_id for api_id, _ in journal(app)].count("au10002") == 0
        await first.close()
        assert [api_id for api_id, _ in journal(app)].count("au10002") == 1
    finally:
        await first.close()
        await second.close()


async def test_two_workers_stay_within_the_rate_limit_while_redis_is_down() -> None:
    """The fake's default limit (1/s, burst 2); N learnt from the registry, not from a setting."""
    port = free_port()
    with private_redis(port) as redis_server:
        app = create_app(FakeKiwoomConfig(seed=9))
        url = f"redis://127.0.0.1:{port}/0"
        ns = namespace()
        workers = [client(app, url, ns, redis_timeout_s=0.3, redis_retry_s=60) for _ in range(2)]
        try:
            for worker in workers:
                assert await worker.connect()
            await asyncio.sleep(LEASE_S / 2)  # a heartbeat or two: each has seen the other in the registry
            redis_server.kill()
            redis_server.wait(timeout=10)
            codes = [["005930", "000660"], ["035420", "035720"]]
            quotes = await asyncio.gather(
                *(w.get_stock_price(code) for w, group in zip(workers, codes, strict=True) for code in group)
            )
            assert all(q["source"] == "simulated" for q in quotes)
            carried = [
                c
                for e in app.state.journal.entries()
                if e.api_id in {"ka10001", "ka10095"}
                for c in e.stock_code.split("|")
            ]
            assert sorted(carried) == sorted(code for group in codes for code in group)  # each asked once
            assert [detail for _, detail in journal(app) if detail == 1700] == []
        finally:
            for worker in workers:
                await worker.close()


async def test_the_last_worker_revokes_the_token_another_worker_reissued() -> None:
    """Kiwoom forgot the token; one worker re-issued it; the last one out must revoke the new one."""
    url, ns = shared_redis_url(), namespace()
    app = create_app(FakeKiwoomConfig(seed=3, rate_limit_per_s=0))
    reissuer, last = client(app, url, ns), client(app, url, ns)
    try:
        assert await reissuer.connect()
        assert await last.connect()
        app.state.fake.tokens.clear()  # e.g. Kiwoom restarted: the shared token answers 8005 now
        await reissuer.get_stock_price("005930")  # 8005, one re-issue, stored for every worker
        await reissuer.close()
        await last.close()  # it still holds the old token in memory
        revokes = [(e.api_id, e.return_code) for e in app.state.journal.entries() if e.api_id == "au10002"]
        assert revokes == [("au10002", 0)]  # accepted: the live token, not the forgotten one
    finally:
        await reissuer.close()
        await last.close()
