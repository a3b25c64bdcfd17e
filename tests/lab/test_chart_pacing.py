"""Waits for the rate budget: reported by the pacer, recorded on the timeline, named in the min_gaps check.

The README's experiment ``kiwoom-lab run 5xx_burst --set KIWOOM_RETRY_DELAY=0.2`` used to
fail with no explanation: the third attempt left 0.9 s after the second instead of 0.4 s
(or, with batching on, left as a ka10095 batch), because ka10001's budget was spent.
"""

from __future__ import annotations

import asyncio

import pytest

from fake_kiwoom.scenario_model import load_scenario
from kiwoom.observe import ClientObserver, FanOut
from kiwoom.state.memory import MemoryRateBudget
from kiwoom.transport.pacing import RatePacer, WouldWaitError
from kiwoom_lab import run_scenario
from kiwoom_lab.checks import Observed, PacedWait, check_all
from kiwoom_lab.spec import Expect
from kiwoom_lab.timeline import TimelineRecorder, paced_waits


class Clock:
    """A clock that moves only when the pacer sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_pacer_reports_each_wait_as_it_starts_and_a_caller_that_declines() -> None:
    clock = Clock()
    told: list[tuple[str, float, bool]] = []
    budget = MemoryRateBudget(1.0, 1, clock=lambda: clock.now)
    pacer = RatePacer(budget, sleep=clock.sleep, on_wait=lambda *args: told.append(args))

    async def scenario() -> None:
        assert await pacer.acquire("ka10001") == 0.0  # the burst's one token: no wait, nothing told
        assert told == []
        slept = await pacer.acquire("ka10001")
        assert told == [("ka10001", slept, False)]
        assert clock.slept == [slept]
        with pytest.raises(WouldWaitError):
            await pacer.acquire("ka10001", wait=False)
        assert told[-1][0] == "ka10001"
        assert told[-1][1] > 0
        assert told[-1][2] is True

    asyncio.run(scenario())


def test_the_observers_hear_of_waits_and_the_timeline_keeps_them() -> None:
    now = [10.0]
    recorder = TimelineRecorder(lambda: now[0], t0=9.0)
    FanOut(ClientObserver(), recorder).paced("ka10001", 0.5)
    now[0] = 11.0
    recorder.paced("ka10001", 0.2, declined=True)
    wait, spent = recorder.events
    assert (wait.kind, wait.t, wait.duration_s, wait.api_id, wait.tone) == ("paced", 1.0, 0.5, "ka10001", "warn")
    assert "waiting 0.500 s for its rate budget" in wait.detail
    assert (spent.label, spent.duration_s) == ("spent", 0.0)
    assert "asked another way" in spent.detail
    assert paced_waits(recorder.events, 9.0) == [
        PacedWait(10.0, "ka10001", 0.5),
        PacedWait(11.0, "ka10001", 0.0, declined=True),
    ]


def _observed(arrivals: list[float], paced: list[PacedWait]) -> Observed:
    journal = [{"ts": ts, "api_id": "ka10001", "status": 503} for ts in arrivals]
    return Observed([], journal, [len(arrivals)], 1, "closed", False, paced=paced)


def test_the_min_gaps_check_says_what_part_of_a_gap_was_a_wait_for_the_rate_budget() -> None:
    expect = Expect(upstream_requests={"api_id": "ka10001", "count": 3}, min_gaps_s=[1.0, 2.0])
    waits = [PacedWait(0.75, "ka10001", 0.5), PacedWait(0.4, "ka10095", 9.0)]  # another TR's wait is not counted
    (gaps,) = [c for c in check_all(expect, _observed([0.1, 0.3, 1.21], waits)) if c.key == "min_gaps_s"]
    assert not gaps.passed
    assert gaps.note == "gaps between arrivals of api_id=ka10001; gap 2 includes 0.500 s waiting for the rate budget"
    spent = [PacedWait(0.7, "ka10001", 0.4, declined=True)]
    (gaps,) = [c for c in check_all(expect, _observed([0.1, 0.3], spent)) if c.key == "min_gaps_s"]
    assert "1 attempt(s) found the rate budget spent and went out another way" in gaps.note
    (gaps,) = [c for c in check_all(expect, _observed([0.1, 1.2, 3.3], [])) if c.key == "min_gaps_s"]
    assert gaps.note == "gaps between arrivals of api_id=ka10001"  # nothing to explain: nothing added


@pytest.mark.realtime
@pytest.mark.socket
def test_the_readme_experiment_shows_the_wait_that_lengthened_the_second_gap() -> None:
    lesson = load_scenario("scenarios/5xx_burst.yaml")
    report = run_scenario(lesson, overrides={"KIWOOM_RETRY_DELAY": "0.2", "KIWOOM_BATCH_QUOTES": "false"})
    arrivals = [e.t for e in report.events if e.kind == "request" and e.api_id == "ka10001"]
    waits = [e for e in report.events if e.kind == "paced" and e.duration_s]
    assert len(arrivals) == 3
    assert waits
    assert all(arrivals[1] <= wait.t < arrivals[2] and wait.api_id == "ka10001" for wait in waits)
    (gaps,) = [c for c in report.checks if c.key == "min_gaps_s"]
    assert "gap 2 includes" in gaps.note
    assert "waiting for the rate budget" in gaps.note


@pytest.mark.realtime
@pytest.mark.socket
def test_with_batching_on_the_attempt_that_found_the_budget_spent_is_on_the_timeline() -> None:
    report = run_scenario(load_scenario("scenarios/5xx_burst.yaml"), overrides={"KIWOOM_RETRY_DELAY": "0.2"})
    spent = [e for e in report.events if e.kind == "paced" and e.label == "spent"]
    assert [e.api_id for e in spent] == ["ka10001"]
    batch = next(e for e in report.events if e.kind == "request" and e.api_id == "ka10095")
    assert spent[0].t <= batch.t
    (gaps,) = [c for c in report.checks if c.key == "min_gaps_s"]
    assert "went out another way" in gaps.note
