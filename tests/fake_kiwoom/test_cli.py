"""The command line entry point and a real socket round trip."""

from __future__ import annotations

import httpx2
import pytest
from starlette.testclient import TestClient

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.__main__ import build_parser, config_from_args
from kiwoom_lab.loopback import serve


def test_cli_arguments_map_to_config() -> None:
    args = build_parser().parse_args(
        ["--port", "9001", "--seed", "5", "--token-lifetime", "60", "--rate-limit", "0", "--rate-burst", "4"]
    )
    assert args.port == 9001
    assert args.host == "127.0.0.1"
    config = config_from_args(args)
    assert config == FakeKiwoomConfig(seed=5, token_lifetime_s=60, rate_limit_per_s=0, rate_limit_burst=4)


def test_journal_can_be_capped_or_switched_off() -> None:
    assert config_from_args(build_parser().parse_args(["--journal-limit", "50"])).journal_limit == 50
    assert config_from_args(build_parser().parse_args(["--journal-limit", "0"])).journal_limit == 0
    app = create_app(FakeKiwoomConfig(journal_limit=0))
    with TestClient(app) as client:
        client.post("/oauth2/token", json={"grant_type": "client_credentials", "appkey": "k", "secretkey": "s"})
        assert client.get("/__admin/requests").json()["requests"] == []


def test_cli_defaults() -> None:
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.seed) == ("127.0.0.1", 8040, 0)


@pytest.mark.socket
def test_token_over_a_real_socket() -> None:
    with serve(create_app(FakeKiwoomConfig(seed=1))) as base_url:
        response = httpx2.post(
            f"{base_url}/oauth2/token",
            json={"grant_type": "client_credentials", "appkey": "k", "secretkey": "s"},
            headers={"Content-Type": "application/json;charset=UTF-8"},
            timeout=5,
        )
        assert response.status_code == 200
        assert response.json()["return_code"] == 0
        assert response.json()["token"]


def test_a_port_out_of_range_is_an_argument_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["--port", "70000"])
    assert exited.value.code == 2
    assert "--port" in capsys.readouterr().err.strip().splitlines()[-1]
