"""Connecting to a Kiwoom that does not answer: a short connect timeout, and an open breaker spares the token.

A handshake that never completes is a dead host: it gets ``KIWOOM_CONNECT_TIMEOUT_S`` (5 s),
not the 30 s read timeout meant for a slow answer. And while the breaker is open, the token
request is spared like any other, instead of going out first and waiting on the dead host.
"""

from __future__ import annotations

import anyio
import pytest

from kiwoom import BreakerOpenError, KiwoomClient, Settings
from kiwoom_lab.loopback import silent_upstream
from tests.support.harness import harness

pytestmark = pytest.mark.anyio


async def open_breaker(client: KiwoomClient) -> None:
    for _ in range(client.settings.breaker_failures):
        await client.guard.breaker.record_failure()


@pytest.mark.socket
@pytest.mark.realtime
async def test_a_handshake_that_never_completes_fails_after_the_connect_timeout() -> None:
    with silent_upstream(handshake=False) as upstream:
        client = KiwoomClient(Settings(_env_file=None, base_url=upstream, connect_timeout_s=0.5))
        try:
            with anyio.fail_after(10):  # the read timeout is still 30 s
                assert await client.connect() is False
        finally:
            await client.close()
    assert "ConnectTimeout" in (client.last_error or "")


async def test_an_open_breaker_spares_the_token_request_of_a_tr() -> None:
    async with harness() as h:
        await open_breaker(h.client)
        with pytest.raises(BreakerOpenError):
            await h.client.tr_request("ka10001", {"stk_cd": "005930"})
        assert await h.api_ids() == []


async def test_connect_issues_no_token_while_the_breaker_is_open() -> None:
    async with harness() as h:
        await open_breaker(h.client)
        assert await h.client.connect() is False
        assert await h.api_ids() == []
