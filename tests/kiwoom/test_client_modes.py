"""Mode selection, the embedded sandbox default, and the client over a real socket."""

from __future__ import annotations

import pytest

from fake_kiwoom import FakeKiwoomConfig, create_app
from kiwoom import ConfigurationError, KiwoomClient, Mode, Settings
from kiwoom.config import SANDBOX_APP_KEY
from kiwoom_lab.loopback import serve


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_no_keys_means_sandbox() -> None:
    s = settings()
    assert s.mode() is Mode.SANDBOX
    assert s.simulated()
    assert s.credentials()[0] == SANDBOX_APP_KEY


def test_keys_without_env_mean_real_host() -> None:
    s = settings(app_key="k", secret_key="s")
    assert s.mode() is Mode.REAL
    assert s.upstream_url() == "https://api.kiwoom.com"
    assert not s.simulated()


def test_mock_env_selects_mock_host() -> None:
    s = settings(app_key="k", secret_key="s", env="mock")
    assert s.upstream_url() == "https://mockapi.kiwoom.com"


def test_real_mode_without_keys_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="KIWOOM_SECRET_KEY"):
        settings(env="real", app_key="k").credentials()


def test_custom_url_is_simulated_unless_it_is_kiwoom() -> None:
    assert settings(base_url="http://127.0.0.1:8040").simulated()
    assert not settings(base_url="https://api.kiwoom.com", app_key="k", secret_key="s").simulated()


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIWOOM_ENV", "mock")
    monkeypatch.setenv("KIWOOM_APP_KEY", "env-key")
    monkeypatch.setenv("KIWOOM_SECRET_KEY", "env-secret")
    monkeypatch.setenv("KIWOOM_TIMEOUT", "5")
    s = settings()
    assert s.mode() is Mode.MOCK
    assert s.timeout == 5
    assert "env-secret" not in repr(s)


@pytest.mark.anyio
async def test_sandbox_default_serves_simulated_quotes() -> None:
    async with KiwoomClient(settings(page_delay_s=0)) as client:
        assert client.mode is Mode.SANDBOX
        assert client.is_connected
        quote = await client.get_stock_price("005930")
        assert quote["source"] == "simulated"
        assert quote["environment"] == "sandbox"
        history = await client.get_stock_history("005930", days=5)
        assert history["count"] == 5


@pytest.mark.socket
@pytest.mark.anyio
async def test_client_over_a_real_socket() -> None:
    with serve(create_app(FakeKiwoomConfig(seed=3))) as url:
        async with KiwoomClient(settings(base_url=url, page_delay_s=0)) as client:
            assert client.is_connected
            quote = await client.get_stock_price("000660")
            assert quote["name"] == "SK하이닉스"
            prices = await client.get_stock_prices(["005930", "035420"])
            assert prices["count"] == 2
            history = await client.get_stock_history("005930", days=650)
            assert history["pages"] >= 2
            account = await client.get_account_info()
            assert account["holdings"]
        assert client.tokens is None


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIWOOM_ENV", "")
    monkeypatch.setenv("KIWOOM_APP_KEY", "")
    assert settings().mode() is Mode.SANDBOX
