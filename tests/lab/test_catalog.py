"""Every catalog scenario passes its own ``expect`` block, end to end over a real socket.

This is the catalog's contract: a scenario's ``expect`` states what a good client does,
and the real client, against the fake on a loopback port, must do exactly that. The last
tests prove the checker can say no, and that a bad ``expect`` block is refused up front.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from fake_kiwoom.scenario_model import Scenario, ScenarioError, load_scenario
from kiwoom_lab import parse_expect, run_scenario
from kiwoom_lab.runner import run_file

CATALOG = sorted(pathlib.Path("scenarios").glob("*.yaml"))


def with_expect(scenario: Scenario, **changes: Any) -> Scenario:
    """A copy of ``scenario`` whose ``expect`` has ``changes`` (``None`` removes a key)."""
    expect = {**scenario.expect, **changes}
    return scenario.model_copy(update={"expect": {k: v for k, v in expect.items() if v is not None}})


def test_the_catalog_has_the_lessons_the_issue_names() -> None:
    names = {path.stem for path in CATALOG}
    assert names >= {
        "happy_path", "latency_spike", "5xx_burst", "total_outage", "empty_output", "ttl_expiry",
        "rate_limited", "token_expiry", "malformed_json", "hang", "flapping", "slow_auth", "burst_of_codes",
    }  # fmt: skip


@pytest.mark.realtime
@pytest.mark.socket
@pytest.mark.parametrize("path", CATALOG, ids=[p.stem for p in CATALOG])
def test_catalog_scenario_meets_its_expectations(path: pathlib.Path) -> None:
    report = run_scenario(load_scenario(path), source=str(path))
    assert report.checks, f"{path} checks nothing"
    failed = [check.line() for check in report.checks if not check.passed]
    assert report.passed, f"{path}:\n" + "\n".join(failed)


@pytest.mark.socket
def test_a_wrong_expectation_fails_with_expected_and_observed() -> None:
    burst = load_scenario("scenarios/5xx_burst.yaml")
    fast = {"KIWOOM_RETRY_DELAY": "0.01", "KIWOOM_BATCH_QUOTES": "false"}  # every attempt a ka10001
    wrong = with_expect(burst, attempts=1, min_gaps_s=None, settings=fast)
    report = run_scenario(wrong)
    assert not report.passed
    failed = [check for check in report.checks if not check.passed]
    assert [check.key for check in failed] == ["attempts"]
    assert failed[0].line() == "FAIL  attempts: expected 1, observed 3 (first call)"


def test_an_invalid_expect_block_names_the_file_and_the_path() -> None:
    happy = load_scenario("scenarios/happy_path.yaml")
    bad = with_expect(happy, atempts=2, settings={"KIWOOM_CACHE_TTL": "0"}, call_gap_s=[1, 2], calls=2)
    with pytest.raises(ScenarioError) as info:
        parse_expect(bad, "scenarios/happy_path.yaml")
    message = str(info.value)
    assert message.startswith("scenarios/happy_path.yaml: invalid expect block")
    assert "expect.atempts: Extra inputs are not permitted" in message
    assert "KIWOOM_CACHE_TTL: Input should be greater than 0" in message


def test_call_gaps_must_fit_the_number_of_calls() -> None:
    happy = load_scenario("scenarios/happy_path.yaml")
    with pytest.raises(ScenarioError, match="call_gap_s lists 2 gaps; 2 calls have 1"):
        parse_expect(with_expect(happy, call_gap_s=[1, 2], calls=2))
    with pytest.raises(ScenarioError, match=r"load_after_calls \(2\) must be below calls \(2\)"):
        parse_expect(with_expect(happy, load_after_calls=2, calls=2))


def test_unknown_settings_and_runner_owned_settings_are_refused() -> None:
    happy = load_scenario("scenarios/happy_path.yaml")
    with pytest.raises(ScenarioError, match="KIWOOM_RETRIES: not a KIWOOM_\\* setting"):
        parse_expect(with_expect(happy, settings={"KIWOOM_RETRIES": "3"}))
    with pytest.raises(ScenarioError, match="KIWOOM_BASE_URL: set by the runner"):
        parse_expect(with_expect(happy, settings={"KIWOOM_BASE_URL": "http://elsewhere"}))


@pytest.mark.realtime
@pytest.mark.socket
@pytest.mark.parametrize("name", ["5xx_burst", "total_outage", "token_expiry", "empty_output", "burst_of_codes"])
def test_the_same_lessons_hold_through_the_mcp_server(name: str) -> None:
    """As an assistant sees it: tool calls through KiwoomMCPServer meet the same expectations.

    ``burst_of_codes`` makes its 30 tool calls at once: a call that reaches the client after
    the first batch left makes a second batch, which the lesson's bounds allow.
    """
    report = run_file(pathlib.Path("scenarios") / f"{name}.yaml", via="mcp")
    failed = [c for c in report.checks if not c.passed]
    assert report.passed, failed


def test_every_catalog_scenario_is_named_as_its_file() -> None:
    """``kiwoom-lab list`` prints file names and ``run`` takes them: a ``name:`` must not say otherwise."""
    assert {path.stem: load_scenario(path).name for path in CATALOG} == {path.stem: path.stem for path in CATALOG}
