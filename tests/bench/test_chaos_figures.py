"""The pure parts of the chaos run (``python -m bench.loadrun --chaos``): plan, stalls, segments, report.

The run itself kills processes for minutes and is run by hand; these keep its arithmetic
honest without a socket or a sleep: what a stall is, where a call or a journal entry
belongs, and what the targets say about given figures.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from bench.load.chaos_figures import (
    BASELINE,
    SHUTDOWN,
    Completion,
    Segment,
    chaos_plan,
    chaos_report,
    chaos_targets,
    longest_stall,
    segment_figures,
    segments,
)
from bench.loadrun import parse_args


def test_the_plan_spreads_the_faults_over_sixths_of_the_run() -> None:
    plan = chaos_plan(90)
    assert [(e.at_s, e.action) for e in plan] == [
        (15.0, "kill_worker"), (30.0, "kill_redis"), (35.0, "start_redis"), (60.0, "kill_fake"),
        (63.0, "start_fake"),
    ]  # fmt: skip
    assert all(a.at_s < b.at_s for a, b in itertools.pairwise(plan))


@pytest.mark.parametrize(("duration", "redis_down"), [(20, 5.0), (30, 10.0)])
def test_a_plan_too_short_for_its_outages_is_refused(duration: int, redis_down: float) -> None:
    with pytest.raises(ValueError, match=r"chaos run|shorter"):
        chaos_plan(duration, redis_down_s=redis_down)


def test_the_longest_stall_is_the_widest_gap_between_completions() -> None:
    stall = longest_stall([10.5, 11.0, 14.0, 14.2], start=10.0, end=15.0)
    assert (stall.seconds, stall.start, stall.end) == (3.0, 11.0, 14.0)


def test_a_stall_at_the_edges_counts_and_calls_outside_the_window_do_not() -> None:
    assert longest_stall([1.0, 2.0], start=0.0, end=10.0).seconds == 8.0  # nothing after 2.0
    assert longest_stall([-5.0, 20.0], start=0.0, end=4.0).seconds == 4.0  # none inside: all of it
    assert longest_stall([3.0, 1.0, 2.0], start=1.0, end=3.0).seconds == 1.0  # order does not matter


def test_segments_start_with_the_baseline_and_are_named_after_each_fault() -> None:
    cut = segments(100.0, 190.0, [(130.0, "kill_redis"), (115.0, "kill_worker"), (135.0, "start_redis")])
    assert [(s.name, s.start, s.end) for s in cut] == [
        (BASELINE, 100.0, 115.0), ("worker killed", 115.0, 130.0), ("Redis down", 130.0, 135.0),
        ("Redis back", 135.0, 190.0),
    ]  # fmt: skip


def _entry(ts: float, api_id: str, **fields: Any) -> dict[str, Any]:
    return {"ts": ts, "api_id": api_id, "path": "/oauth2/token" if api_id.startswith("au") else "/api/dostk/stkinfo",
            "fault": None, "status": 200, "return_code": 0, "detail_code": None, **fields}  # fmt: skip


def test_segment_figures_count_calls_by_completion_and_requests_by_arrival() -> None:
    completions: list[Completion] = [(10.1, 20.0, True, 200), (10.2, 900.0, True, 200), (11.0, 5.0, False, 0),
                                     (12.5, 30.0, False, 503), (20.0, 1.0, True, 200)]  # fmt: skip
    journal = [
        _entry(10.5, "ka10001"),
        _entry(10.6, "ka10001", status=200, return_code=5, detail_code=1700),  # the fake's own limiter
        _entry(10.7, "ka10001", detail_code=1700, fault="rate_limit"),  # a scripted one: not counted
        _entry(11.5, "au10001"),
        _entry(30.0, "au10001"),  # outside
    ]
    figures = segment_figures(Segment("Redis down", 10.0, 13.0), completions, journal)
    assert figures["calls"] == 4
    assert (figures["failures"], figures["no_answer"], figures["http_5xx"]) == (2, 1, 1)
    assert figures["max_ms"] == 900.0
    assert (figures["tr_requests"], figures["kiwoom_1700"], figures["token_issues"]) == (3, 1, 1)
    assert figures["stall_s"] == 2.8  # the last success at 10.2, nothing succeeded until 13.0


def _figures(by_name: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    base: dict[str, Any] = {"max_ms": None, "kiwoom_1700": 0, "token_issues": 0, "revokes": []}
    return [{"name": name, **base, **values} for name, values in by_name.items()]


def test_targets_allow_one_lease_and_one_request_beyond_the_baseline() -> None:
    after: dict[str, dict[str, Any]] = {
        "worker killed": {"max_ms": 4100.0},
        "Redis down": {"max_ms": 4101.0, "kiwoom_1700": 2},
    }
    figures = _figures({BASELINE: {"max_ms": 100.0}, **after})
    targets = chaos_targets(figures, http_5xx=0)
    assert targets["longest wait, worker killed"]["met"]
    assert not targets["longest wait, Redis down"]["met"]
    assert not targets["1700s while Redis is down"]["met"]
    assert not targets["revokes at shutdown"]["met"]  # no shutdown segment: no revoke seen
    assert targets["HTTP 5xx from ours"]["met"]


def test_a_revoke_of_a_token_that_died_with_the_fake_still_counts() -> None:
    died = _figures({"fake back": {}, SHUTDOWN: {"revokes": ["HTTP 200 code 8016"]}})
    assert chaos_targets(died, http_5xx=0)["revokes at shutdown"]["met"]
    reissued = _figures({"fake back": {"token_issues": 1}, SHUTDOWN: {"revokes": ["HTTP 200 code 8016"]}})
    assert not chaos_targets(reissued, http_5xx=0)["revokes at shutdown"]["met"]
    twice = _figures({SHUTDOWN: {"revokes": ["HTTP 200 code 0", "HTTP 200 code 0"]}})
    assert not chaos_targets(twice, http_5xx=0)["revokes at shutdown"]["met"]


def test_the_report_shows_the_timeline_the_table_and_every_target() -> None:
    completions: list[Completion] = [(100.5, 10.0, True, 200), (101.0, 12.0, True, 200)]
    cut = segments(100.0, 102.0, [(101.5, "kill_worker")])
    figures = [segment_figures(s, completions, []) for s in cut]
    targets = chaos_targets(figures, http_5xx=0)
    rss = {"peak_kib": {"supervisor": 2048, "worker 7": 4096}, "peak_total_kib": 6144}
    text = chaos_report(
        100.0,
        timeline=[(101.5, "kill -9 worker pid 7"), (100.0, "load starts")],
        figures=figures,
        targets=targets,
        rss=rss,
        stall=longest_stall([c[0] for c in completions], 100.0, 102.0),
    )
    lines = text.splitlines()
    assert lines[1:3] == ["   +0.0 s  load starts", "   +1.5 s  kill -9 worker pid 7"]
    assert "| worker killed | +1.5 |" in text
    assert "longest stall (no call succeeded): 1 s, from +101.0" not in text
    assert "longest stall (no call succeeded): 1 s, from +1.0 s to +2.0 s" in text
    assert "supervisor 2.0, worker 7 4.0" in text
    assert sum(line.startswith("target ") for line in lines) == len(targets)


def test_chaos_options_run_two_workers_on_their_own_redis_for_90_s() -> None:
    options = parse_args(["--chaos"])
    assert (options.chaos, options.workers, options.duration, options.redis_url, options.mix) == (
        True, [2], 90, None, "mixed",
    )  # fmt: skip
    assert parse_args(["--chaos", "--mix", "price_only", "--duration", "60"]).mix == "price_only"


@pytest.mark.parametrize(
    "argv",
    [["--chaos", "--workers", "1"], ["--chaos", "--redis-url", "redis://x"], ["--chaos", "--smoke"],
     ["--chaos", "--duration", "12"], ["--mix", "price_only"]],
)  # fmt: skip
def test_chaos_refuses_what_it_cannot_honour(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)
