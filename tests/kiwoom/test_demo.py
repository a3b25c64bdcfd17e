"""``kiwoom-demo``: a table that lines up with Korean names, within 100 columns, and failures that name the host."""

from __future__ import annotations

import asyncio

import pytest

from kiwoom import Settings
from kiwoom.demo import DEFAULT_CODES, main, run_demo
from kiwoom_lab.loopback import free_port
from krx.textwidth import width
from tests.support.columns import cells


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, page_delay_s=0, **values)  # type: ignore[arg-type]


@pytest.fixture
def demo_output(capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert asyncio.run(run_demo(list(DEFAULT_CODES), settings())) == 0
    return capsys.readouterr().out.splitlines()


def test_every_demo_line_fits_in_100_columns(demo_output: list[str]) -> None:
    assert [line for line in demo_output if width(line) > 100] == []


def test_quote_table_columns_line_up_with_korean_names(demo_output: list[str]) -> None:
    start = next(i for i, line in enumerate(demo_output) if line.startswith("종목코드"))
    table = [cells(line) for line in demo_output[start : start + 1 + len(DEFAULT_CODES)]]
    assert any(width(row[1][2]) > len(row[1][2]) for row in table[1:])  # a Korean name is in the table
    for column in (0, 1):  # code and name: left-aligned
        assert len({row[column][0] for row in table}) == 1, demo_output
    for column in range(2, 6):  # price, change, rate, volume: right-aligned
        assert len({row[column][1] for row in table}) == 1, demo_output


def test_connect_failure_names_the_host_and_why_it_was_chosen(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    code = asyncio.run(run_demo(["005930"], settings(base_url=f"http://127.0.0.1:{port}", max_retries=1)))
    err = capsys.readouterr().err
    assert code == 1
    assert f"127.0.0.1:{port}" in err
    assert "KIWOOM_BASE_URL" in err


def test_an_invalid_variable_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KIWOOM_ENV", "bogus")
    with pytest.raises(SystemExit) as exited:
        main([])
    err = capsys.readouterr().err.strip().splitlines()
    assert exited.value.code == 2
    assert len(err) == 1
    assert "KIWOOM_ENV" in err[0]
    assert "bogus" in err[0]
    assert "sandbox, mock, real" in err[0]
