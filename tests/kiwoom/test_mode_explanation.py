"""Which host the client talks to and why, in Korean: in the connect-failure log and /readyz's token reason."""

from __future__ import annotations

import logging

import pytest

from kiwoom import KiwoomClient, Settings
from kiwoom.readiness import not_ready_reasons
from kiwoom_lab.loopback import free_port


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_keys_without_env_explain_the_real_host() -> None:
    explained = settings(app_key="k", secret_key="s").explain_mode()
    assert explained == "real 모드 (api.kiwoom.com): 키가 설정되어 있고 KIWOOM_ENV 가 없음"


def test_env_mock_explains_the_mock_host() -> None:
    assert settings(app_key="k", env="mock").explain_mode() == "mock 모드 (mockapi.kiwoom.com): KIWOOM_ENV=mock"


def test_env_real_is_named_when_it_chose_real() -> None:
    assert settings(app_key="k", env="real").explain_mode() == "real 모드 (api.kiwoom.com): KIWOOM_ENV=real"


def test_no_keys_explain_the_sandbox() -> None:
    expected = "sandbox 모드 (내장 샌드박스, 프로세스 안): 키(KIWOOM_APP_KEY)가 설정되어 있지 않음"
    assert settings().explain_mode() == expected


def test_env_sandbox_is_named_even_with_keys() -> None:
    assert settings(app_key="k", env="sandbox").explain_mode().endswith(": KIWOOM_ENV=sandbox")


def test_a_base_url_names_its_host_and_port_and_that_it_overrides_env() -> None:
    explained = settings(base_url="http://127.0.0.1:8040/", env="mock").explain_mode()
    assert explained == "custom 모드 (127.0.0.1:8040): KIWOOM_BASE_URL 이 설정됨 (KIWOOM_ENV=mock 보다 우선)"


@pytest.mark.socket
@pytest.mark.anyio
async def test_connect_failure_log_names_the_host_and_why(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    client = KiwoomClient(settings(base_url=f"http://127.0.0.1:{port}", max_retries=1))
    with caplog.at_level(logging.ERROR, logger="kiwoom"):
        assert not await client.connect()
    await client.close()
    failure = next(r.getMessage() for r in caplog.records if "연결 실패" in r.getMessage())
    assert f"custom 모드 (127.0.0.1:{port}): KIWOOM_BASE_URL 이 설정됨" in failure


@pytest.mark.socket
@pytest.mark.anyio
async def test_readiness_token_reason_names_the_host_and_why() -> None:
    port = free_port()
    client = KiwoomClient(settings(base_url=f"http://127.0.0.1:{port}", max_retries=1))
    await client.connect()
    report = await client.health()
    await client.close()
    assert f"127.0.0.1:{port}" in not_ready_reasons(report)["token"]
    assert "KIWOOM_BASE_URL" in not_ready_reasons(report)["token"]
