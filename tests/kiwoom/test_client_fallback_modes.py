"""Which fallback a client uses by default: no invented numbers from a real or mock account.

Real and mock accounts stop at stale data and then fail; the sandbox, the fake on a URL and
the lab keep the seed's sample data as the last step. An explicit ``KIWOOM_FALLBACK`` wins.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from fake_kiwoom.canned import OUTAGE_NOW
from kiwoom import KiwoomClient, Settings
from kiwoom.resilience import RetriesExhausted
from tests.support.clock import FakeTime
from tests.support.harness import harness

MOCK: dict[str, Any] = {
    "base_url": None,
    "env": "mock",
}  # mockapi.kiwoom.com, answered by the fake through the injected transport


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize("env", ["real", "mock"])
def test_a_kiwoom_account_defaults_to_stale_only(env: str) -> None:
    assert settings(app_key="k", secret_key="s", env=env).fallback_policy() == "stale-only"


def test_a_custom_url_on_a_kiwoom_host_defaults_to_stale_only() -> None:
    s = settings(base_url="https://api.kiwoom.com", app_key="k", secret_key="s")
    assert s.fallback_policy() == "stale-only"


def test_the_sandbox_defaults_to_sample_data() -> None:
    assert settings().fallback_policy() == "sample"


def test_a_fake_on_a_url_defaults_to_sample_data() -> None:
    assert settings(base_url="http://127.0.0.1:8040").fallback_policy() == "sample"


def test_an_explicit_fallback_wins_over_the_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIWOOM_FALLBACK", "sample")
    assert settings(app_key="k", secret_key="s", env="real").fallback_policy() == "sample"
    assert settings(fallback="error").fallback_policy() == "error"


def test_the_fallback_setting_is_unset_by_default() -> None:
    assert settings().fallback is None


@pytest.mark.anyio
async def test_mock_account_outage_raises_instead_of_serving_sample_data() -> None:
    async with harness(OUTAGE_NOW, **MOCK) as h:
        with pytest.raises(RetriesExhausted, match="503"):
            await h.client.get_stock_price("005930")


@pytest.mark.anyio
async def test_mock_account_outage_serves_stale_data_with_its_age_first() -> None:
    async with harness(**MOCK) as h:
        fresh = await h.client.get_stock_price("005930")
        h.time.advance(400)  # past the 300 s TTL, inside the stale window
        await h.set_scenario(OUTAGE_NOW)
        stale = await h.client.get_stock_price("005930")
        assert (stale["source"], stale["price"]) == ("stale", fresh["price"])
        assert stale["cache_age_s"] >= 400
        h.time.advance(3600)  # past the stale window too: nothing left but the failure
        with pytest.raises(RetriesExhausted):
            await h.client.get_stock_price("005930")


@pytest.mark.anyio
async def test_mock_account_with_explicit_sample_fallback_serves_a_placeholder() -> None:
    async with harness(OUTAGE_NOW, fallback="sample", **MOCK) as h:
        quote = await h.client.get_stock_price("005930")
        assert quote["source"] == "sample"
        assert quote["placeholder"] is True
        assert quote["note"] == "샘플 데이터 (API 호출 실패)"
        assert quote["environment"] == "mock"


@pytest.mark.anyio
async def test_real_account_with_kiwoom_unreachable_raises() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    t = FakeTime()
    client = KiwoomClient(
        settings(app_key="k", secret_key="s", env="real", page_delay_s=0),
        transport=httpx2.MockTransport(refuse),
        clock=t.clock,
        monotonic=t.clock,
        sleep=t.sleep,
    )
    try:
        with pytest.raises(RetriesExhausted):
            await client.get_stock_price("005930")
    finally:
        await client.close()
