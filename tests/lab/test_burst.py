"""Concurrent calls in the lab, and the ``burst_of_codes`` lesson: many calls, one request, on the timeline.

The lesson's end-to-end run asserts what the learner is told to look for (one ka10095 row
carrying the codes, the calls it answered), not how long anything took. The rest checks
the ``concurrent`` schema and the timeline's folding and ordering on hand-made events.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

import pytest

from fake_kiwoom.scenario_model import Scenario, ScenarioError, load_scenario
from kiwoom_lab import Event, RunReport, parse_expect, run_file
from kiwoom_lab.chart import render_svg
from kiwoom_lab.render_text import fold, timeline_table
from kiwoom_lab.spec import Expect
from kiwoom_lab.timeline import journal_events, merge

LESSON = pathlib.Path("scenarios/burst_of_codes.yaml")


def with_expect(scenario: Scenario, **changes: Any) -> Scenario:
    expect = {**scenario.expect, **changes}
    return scenario.model_copy(update={"expect": {k: v for k, v in expect.items() if v is not None}})


def row_text(table: str, marker: str) -> str:
    """The one timeline row holding ``marker``, its wrapped lines joined, its columns single-spaced."""
    lines = table.splitlines()
    found = [i for i, line in enumerate(lines) if marker in line]
    assert len(found) == 1, table
    end = found[0] + 1
    while end < len(lines) and lines[end].startswith(" " * 12):
        end += 1
    return " ".join(" ".join(lines[found[0] : end]).split())


@pytest.fixture(scope="module")
def burst() -> RunReport:
    return run_file(LESSON)


@pytest.mark.socket
def test_one_batch_request_carries_the_codes_of_the_burst(burst: RunReport) -> None:
    codes = burst.expect.stock_code
    assert isinstance(codes, list)
    assert burst.passed, [check.line() for check in burst.checks if not check.passed]
    quotes = [row for row in burst.journal if row["api_id"] in ("ka10001", "ka10095")]
    assert [row["api_id"] for row in quotes] == ["ka10001", "ka10095"]  # the lone first call, then one batch
    carried = [code for row in quotes for code in row["stock_code"].split("|")]
    assert sorted(carried) == sorted(codes)  # every code asked once, by one of two requests

    table = timeline_table(burst)
    batch = row_text(table, "ka10095 ×29 codes → 200:")
    assert re.match(r"[0-9.]+ request 200 ×29 codes ka10095 ×29 codes → 200: ", batch), batch
    assert batch.split(": ", 1)[1].split() == [row["stock_code"] for row in quotes][1].split("|")
    answered = row_text(table, "calls 2–30 at once")
    assert re.match(r"[0-9.]+ call simulated ×29 calls 2–30 at once: source=simulated, attempts=1, ", answered)
    assert "answered by ka10095 ×29 codes at t+" in answered
    assert "call 1 (005930): source=simulated" in table


@pytest.mark.socket
def test_the_chart_draws_the_batch_as_one_request_answering_29_calls(burst: RunReport) -> None:
    svg = render_svg(burst)
    assert svg.count(">ka10095 ×29 codes</text>") == 1
    assert re.search(r"<title>ka10095 at t\+[0-9.]+s: one request, 29 codes, 29 calls</title>", svg)
    links = re.search(r"<g>((?:<line [^>]*/>)+)<title>ka10095 at", svg)
    assert links is not None
    assert links.group(1).count("<line ") == 29


def test_concurrent_calls_cannot_be_spaced_or_loaded_late() -> None:
    lesson = load_scenario(LESSON)
    with pytest.raises(ScenarioError, match="concurrent: true starts every call at once, so call_gap_s"):
        parse_expect(with_expect(lesson, call_gap_s=0.5))
    with pytest.raises(ScenarioError, match="so load_after_calls has no moment to load"):
        parse_expect(with_expect(lesson, load_after_calls=5))
    single = with_expect(lesson, calls=1, stock_code="005930", sources=None)
    with pytest.raises(ScenarioError, match="concurrent: true starts the calls together; give calls of at least 2"):
        parse_expect(single)
    assert parse_expect(with_expect(lesson, call_gap_s=[0.0] * 29)).concurrent


def test_a_list_of_codes_gives_each_call_its_own() -> None:
    expect = Expect(stock_code=["005930", "000660"], calls=5)
    assert [expect.code_for(i) for i in range(5)] == ["005930", "000660", "005930", "000660", "005930"]
    assert expect.single_code(1) == "000660"
    watchlist = Expect(tool="get_stock_prices", stock_code=["005930", "000660"], calls=1)
    assert watchlist.code_for(0) == ["005930", "000660"]
    assert watchlist.single_code(0) is None
    with pytest.raises(ValueError, match="stock_code lists 3 codes for 2 call"):
        Expect(stock_code=["005930", "000660", "373220"], calls=2)


def _row(ts: float, api_id: str, codes: str) -> dict[str, Any]:
    return {"ts": ts, "api_id": api_id, "path": "/api/dostk/stkinfo", "stock_code": codes, "status": 200}


def test_requests_meet_their_own_responses_and_calls_name_the_request_that_answered() -> None:
    """A batch sent before the lone ka10001 answered stays before that answer, whatever order they finish in."""
    observed = [
        Event(0.0, "call", "simulated", "call 1 (005930): source=simulated", "ok", 0.08, ("005930",)),
        Event(0.0, "call", "simulated", "call 2 (000660): source=simulated", "ok", 0.4, ("000660",)),
        Event(0.0, "call", "simulated", "call 3 (373220): source=simulated", "ok", 0.4, ("373220",)),
        Event(0.08, "response", "200", "ka10001 answered 200", "ok", api_id="ka10001"),
        Event(0.4, "response", "200", "ka10095 answered 200", "ok", api_id="ka10095"),
    ]
    rows = [_row(0.04, "ka10001", "005930"), _row(0.06, "ka10095", "000660|373220")]
    events = merge(observed, rows, 0.0)
    assert [(e.kind, e.api_id) for e in events if e.kind in ("request", "response")] == [
        ("request", "ka10001"),
        ("request", "ka10095"),
        ("response", "ka10001"),
        ("response", "ka10095"),
    ]
    assert [e.t for e in events] == sorted(e.t for e in events)
    details = [e.detail for e in events if e.kind == "call"]
    assert details[0].endswith("answered by ka10001 at t+0.040")
    assert details[1].endswith("answered by ka10095 ×2 codes at t+0.060")
    assert journal_events(rows, 0.0)[1].label == "200 ×2 codes"


def test_only_concurrent_runs_fold_alike_calls() -> None:
    calls = [
        Event(0.0, "call", "simulated", f"call {i} ({i:06d}): source=simulated, price={i}", "ok", 0.3, (f"{i:06d}",))
        for i in range(2, 6)
    ]
    miss = Event(0.0, "cache", "miss", "get_stock_price: cache miss")
    events = [item for call in calls for item in (call, miss)]
    rows = fold(events)
    assert [(row[0].kind, len(row)) for row in rows] == [("call", 4), ("cache", 4)]
    scenario = Scenario(version=1, name="burst", description="four calls at once")
    concurrent = RunReport(scenario, Expect(calls=4, concurrent=True), "burst.yaml", events, [], [], [], 0.3)
    table = timeline_table(concurrent)
    assert row_text(table, "calls 2–5") == "0.000 call simulated ×4 calls 2–5 at once: source=simulated, took 0.300 s"
    assert row_text(table, "cache miss") == "0.000 cache miss ×4 get_stock_price: cache miss (4 times)"
    sequential = RunReport(scenario, Expect(calls=4), "burst.yaml", events, [], [], [], 0.3)
    assert "calls 2–5" not in timeline_table(sequential)
