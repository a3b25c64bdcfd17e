"""``kiwoom-mcp`` refuses bad settings and a busy port in one Korean line, exit 2, before any token is issued."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import httpx2
import pytest

from fake_kiwoom import FakeKiwoomConfig, create_app
from kiwoom import ConfigurationError, KiwoomClient, Settings
from kiwoom.__main__ import main
from kiwoom.mcp import KiwoomMCPServer
from kiwoom_lab.loopback import serve


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[object, list[str]]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    return exited.value.code, capsys.readouterr().err.strip().splitlines()


def test_an_invalid_env_value_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KIWOOM_ENV", "bogus")
    code, err = run_main([], capsys)
    assert code == 2
    assert err == ["kiwoom-mcp: 설정 오류: KIWOOM_ENV='bogus': sandbox, mock, real 중 하나여야 합니다"]


def test_an_invalid_port_variable_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KIWOOM_MCP_PORT", "abc")
    code, err = run_main([], capsys)
    assert code == 2
    assert err == ["kiwoom-mcp: 설정 오류: KIWOOM_MCP_PORT='abc': 정수여야 합니다"]


def test_a_port_option_out_of_range_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_main(["--port", "70000"], capsys)
    assert code == 2
    assert "--port" in err[-1]
    assert "0–65535" in err[-1]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.fixture
def fake_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with serve(create_app(FakeKiwoomConfig(seed=1))) as url:
        monkeypatch.setenv("KIWOOM_BASE_URL", url)
        yield url


def token_requests(fake_url: str) -> list[object]:
    journal = httpx2.get(f"{fake_url}/__admin/requests").json()["requests"]
    return [r for r in journal if "oauth2" in str(r)]


@pytest.mark.socket
def test_a_busy_port_fails_before_any_token_is_issued(
    busy_port: int, fake_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_main(["--port", str(busy_port), "--log-level", "WARNING"], capsys)
    assert code == 2
    assert err[-1].startswith(f"kiwoom-mcp: 포트 {busy_port}")
    assert "--port" in err[-1]
    assert "KIWOOM_MCP_PORT" in err[-1]
    assert token_requests(fake_url) == []


@pytest.mark.socket
def test_a_busy_port_fails_before_the_workers_start(
    busy_port: int, fake_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_main(["--workers", "2", "--port", str(busy_port), "--log-level", "WARNING"], capsys)
    assert code == 2
    assert err[-1].startswith(f"kiwoom-mcp: 포트 {busy_port}")
    assert token_requests(fake_url) == []


@pytest.mark.socket
def test_run_raises_on_a_busy_port_without_connecting(busy_port: int, fake_url: str) -> None:
    server = KiwoomMCPServer(KiwoomClient(Settings(_env_file=None, base_url=fake_url)))
    with pytest.raises(ConfigurationError, match="KIWOOM_MCP_PORT"):
        asyncio.run(server.run(port=busy_port))
    assert token_requests(fake_url) == []
