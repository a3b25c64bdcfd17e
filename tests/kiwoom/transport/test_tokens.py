"""The token manager on its own, against the fake in-process and the tests' fake clock."""

from __future__ import annotations

import asyncio

import pytest

from fake_kiwoom import FakeKiwoomConfig
from kiwoom.errors import KiwoomAuthError
from kiwoom.state.memory import DetachedTokenStore
from kiwoom.transport.tokens import TokenManager
from tests.support.inprocess import InProcessFake, in_process_fake

pytestmark = pytest.mark.anyio


def manager(fake: InProcessFake, **kwargs: object) -> TokenManager:
    return TokenManager(fake.http, "app-key", "secret-key", clock=fake.clock, sleep=fake.clock.sleep, **kwargs)  # type: ignore[arg-type]


async def test_concurrent_callers_share_one_issued_token() -> None:
    async with in_process_fake() as fake:
        tokens = manager(fake)
        got = await asyncio.gather(*(tokens.get() for _ in range(10)))
        assert len({t.value for t in got}) == 1
        assert fake.api_ids() == ["au10001"]


async def test_a_token_inside_the_refresh_margin_is_replaced_before_it_expires() -> None:
    async with in_process_fake() as fake:
        tokens = manager(fake, refresh_margin_s=600.0)
        first = await tokens.get()
        fake.clock.advance(first.remaining(fake.clock()) - 599)
        second = await tokens.get()
        assert second.value != first.value
        assert tokens.issued_count == 2


async def test_invalidating_a_replaced_token_keeps_the_fresh_one() -> None:
    async with in_process_fake() as fake:
        tokens = manager(fake)
        old = await tokens.get()
        await tokens.invalidate(old)
        fresh = await tokens.get()
        await tokens.invalidate(old)  # a late report about the old token
        assert await tokens.get() is fresh
        assert tokens.issued_count == 2


async def test_rejected_keys_raise_an_auth_error_that_names_no_key() -> None:
    config = FakeKiwoomConfig(rate_limit_per_s=0, app_keys={"my-app-key": "right-secret"})
    async with in_process_fake(config) as fake:
        tokens = TokenManager(fake.http, "my-app-key", "wrong-secret", clock=fake.clock)
        with pytest.raises(KiwoomAuthError) as info:
            await tokens.get()
        assert "my-app-key" not in str(info.value)
        assert "wrong-secret" not in str(info.value)


async def test_the_only_user_revokes_its_token_on_close() -> None:
    async with in_process_fake() as fake:
        tokens = manager(fake)
        await tokens.get()
        assert await tokens.revoke() is True
        assert fake.api_ids() == ["au10001", "au10002"]


async def test_a_worker_cut_off_from_the_shared_token_never_revokes() -> None:
    async with in_process_fake() as fake:
        tokens = manager(fake, store=DetachedTokenStore())
        await tokens.get()
        assert await tokens.revoke() is False
        assert fake.api_ids() == ["au10001"]
