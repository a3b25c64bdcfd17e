"""The four stream lessons: each passes, and its timeline shows the recovery it teaches."""

from __future__ import annotations

import pathlib

import pytest

from fake_kiwoom.scenario_model import ScenarioError, load_scenario
from kiwoom_lab import parse_expect
from kiwoom_lab.render_text import render
from kiwoom_lab.report import RunReport
from kiwoom_lab.runner import run_file
from kiwoom_lab.timeline import Event

SCENARIOS = pathlib.Path("scenarios")


def stream_labels(report: RunReport) -> list[str]:
    return [event.label for event in report.events if event.kind == "stream"]


def first(events: list[Event], label: str, after: float = -1.0) -> Event:
    return next(e for e in events if e.kind == "stream" and e.label == label and e.t > after)


def run(name: str) -> RunReport:
    report = run_file(SCENARIOS / f"{name}.yaml")
    failed = [check.line() for check in report.checks if not check.passed]
    assert report.passed, "\n".join(failed)
    assert not report.calls, "a stream lesson makes no tool call"
    return report


@pytest.mark.realtime
@pytest.mark.socket
def test_ws_disconnect_reconnects_resubscribes_and_backfills() -> None:
    report = run("ws_disconnect")
    labels = stream_labels(report)
    assert "DROP 1006" in labels  # the fake's side
    assert "CLOSE 1006" in labels
    down = first(report.events, "disconnect")
    again = first(report.events, "reg", after=down.t)
    assert set(again.codes) == {"005930", "000660"}
    assert set(first(report.events, "backfill", after=down.t).codes) == {"005930", "000660"}
    assert labels.count("login") == 2
    assert "stream" in render(report)


@pytest.mark.realtime
@pytest.mark.socket
def test_ws_stall_is_ended_by_the_watchdog() -> None:
    report = run("ws_stall")
    stall = first(report.events, "STALL")
    watchdog = first(report.events, "watchdog", after=stall.t)
    assert "silent_s=1" in watchdog.detail  # no frame for the 1 s idle limit, then the client hangs up
    assert first(report.events, "reg", after=watchdog.t).codes == ("005930", "000660")


@pytest.mark.realtime
@pytest.mark.socket
def test_ws_token_expiry_logs_in_with_a_fresh_token() -> None:
    report = run("ws_token_expiry")
    expired = first(report.events, "TOKEN_EXPIRED")
    assert "8005" in first(report.events, "server_error").detail
    issues = [e for e in report.events if e.kind == "request" and e.detail.startswith("au10001")]
    assert len(issues) == 2
    assert issues[1].t > expired.t
    assert first(report.events, "login", after=issues[1].t)


@pytest.mark.realtime
@pytest.mark.socket
def test_ws_slow_consumer_keeps_the_buffer_bounded() -> None:
    report = run("ws_slow_consumer")
    checks = {check.key: check for check in report.checks}
    assert int(checks["stream.max_buffered"].observed) <= 20
    assert int(checks["stream.conflated"].observed) >= 1
    assert "disconnect" not in stream_labels(report)
    assert "BURST" in stream_labels(report)


def test_an_unknown_stream_key_names_its_path() -> None:
    lesson = load_scenario(SCENARIOS / "ws_disconnect.yaml")
    stream = {**lesson.expect["stream"], "reconect_within_s": 2}
    bad = lesson.model_copy(update={"expect": {**lesson.expect, "stream": stream}})
    with pytest.raises(ScenarioError) as info:
        parse_expect(bad, "ws_disconnect.yaml")
    assert "expect.stream.reconect_within_s: Extra inputs are not permitted" in str(info.value)


def test_a_buffer_bound_needs_a_reader() -> None:
    lesson = load_scenario(SCENARIOS / "ws_slow_consumer.yaml")
    stream = {k: v for k, v in lesson.expect["stream"].items() if k != "consume_every_s"}
    bad = lesson.model_copy(update={"expect": {**lesson.expect, "stream": stream}})
    with pytest.raises(ScenarioError, match="max_buffered and consumed need consume_every_s"):
        parse_expect(bad)
