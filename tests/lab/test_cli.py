"""``kiwoom-lab`` from the command line: run, draw, list, and refuse a broken file."""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest

from kiwoom_lab.__main__ import main

BROKEN = """version: 1
name: broken
description: a status the fake cannot send
rules:
  - match: {api_id: ka10001}
    steps:
      - fault: {type: http_status, status: 404}
"""


@pytest.mark.socket
def test_run_prints_the_timeline_and_writes_the_charts(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html, svg, report = tmp_path / "t.html", tmp_path / "t.svg", tmp_path / "t.json"
    code = main(["run", "scenarios/token_expiry.yaml", "--html", str(html), "--svg", str(svg), "--json", str(report)])
    out = capsys.readouterr().out
    assert code == 0
    assert "ka10001 005930 → 200 [8005] fault=kiwoom_error" in out
    assert "PASS  token_issues: expected 2, observed 2" in out
    for path in (html, svg):
        text = path.read_text(encoding="utf-8")
        assert "<svg" in text
        assert "token_expiry" in text
        assert "PASS" in text
        assert "<script" not in text
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert json.loads(report.read_text(encoding="utf-8"))["passed"] is True


def test_an_invalid_file_exits_2_naming_the_file_and_the_path(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    assert main(["run", str(broken)]) == 2
    err = capsys.readouterr().err
    assert str(broken) in err
    assert "rules[0].steps[0].fault.status" in err


def test_a_bad_set_option_exits_2_before_running(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "scenarios/happy_path.yaml", "--set", "KIWOOM_MAX_RETRIES=0"]) == 2
    assert "KIWOOM_MAX_RETRIES" in capsys.readouterr().err


def test_a_bad_set_value_is_one_line_naming_the_variable_and_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "scenarios/happy_path.yaml", "--set", "KIWOOM_TIMEOUT=abc"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == ["--set KIWOOM_TIMEOUT='abc': 숫자여야 합니다"]


def test_list_shows_every_catalog_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "list"]) == 0
    out = capsys.readouterr().out
    for path in pathlib.Path("scenarios").glob("*.yaml"):
        assert path.stem in out
    assert "two proxy 503 pages, then OK" in out


@pytest.mark.socket
def test_run_all_summarises_and_fails_when_one_scenario_fails(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy("scenarios/happy_path.yaml", tmp_path / "happy_path.yaml")
    wrong = (
        pathlib.Path("scenarios/token_expiry.yaml")
        .read_text(encoding="utf-8")
        .replace("token_issues: 2", "token_issues: 1")
    )
    (tmp_path / "token_expiry.yaml").write_text(wrong, encoding="utf-8")
    assert main(["run", "--all", "--dir", str(tmp_path), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  token_issues: expected 1, observed 2" in out
    assert "1 of 2 passed" in out
