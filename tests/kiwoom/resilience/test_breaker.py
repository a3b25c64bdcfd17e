"""Circuit breaker transitions on a fake clock, by example and against a small model.

The breaker judges the failure rate of the requests in a sliding time window, once the
window holds a minimum number of them; these tests drive it with recorded outcomes and
move the clock instead of sleeping.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiwoom.errors import InvalidInputError
from kiwoom.resilience import BreakerState, CircuitBreaker
from kiwoom.resilience.breaker import WINDOW_BUCKETS
from tests.support.clock import FakeTime

CLOSED, OPEN, HALF_OPEN = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN


def make(
    min_requests: int = 5, cooldown: float = 30.0, *, rate: float = 0.5, window: float = 30.0
) -> tuple[CircuitBreaker, FakeTime, list[tuple[str, str]]]:
    t = FakeTime()
    changes: list[tuple[str, str]] = []
    breaker = CircuitBreaker(
        min_requests,
        cooldown,
        failure_rate=rate,
        window_s=window,
        clock=t.clock,
        on_change=lambda old, new: changes.append((old.value, new.value)),
    )
    return breaker, t, changes


def record(breaker: CircuitBreaker, pattern: str) -> None:
    """``pattern`` is a string of outcomes, oldest first: ``x`` a failed request, ``.`` a success."""
    for outcome in pattern:
        if outcome == "x":
            breaker.record_failure()
        else:
            breaker.record_success()


def trip(breaker: CircuitBreaker) -> None:
    record(breaker, "x" * breaker.min_requests)


def test_a_total_outage_opens_it_at_the_minimum_number_of_requests() -> None:
    breaker, _, changes = make(min_requests=5)
    record(breaker, "xxxx")
    assert (breaker.state, breaker.allow()) == (CLOSED, True)
    breaker.record_failure()
    assert (breaker.state, breaker.allow()) == (OPEN, False)
    assert changes == [("closed", "open")]


def test_thirty_percent_failures_keep_it_closed() -> None:
    breaker, _, changes = make()
    record(breaker, "..x" * 100)
    assert (breaker.state, changes) == (CLOSED, [])


def test_a_run_of_failures_among_many_successes_keeps_it_closed() -> None:
    """Concurrent callers can report several failures in a row at 30 %; the rate is what counts."""
    breaker, _, _ = make(min_requests=5)
    record(breaker, "." * 20 + "xxxxxx")
    assert (breaker.state, breaker.window_counts) == (CLOSED, (26, 6))


def test_a_failure_rate_at_the_threshold_opens_it() -> None:
    breaker, _, _ = make(rate=0.5)
    record(breaker, ".....xxxx")
    assert breaker.state is CLOSED  # 4 of 9
    breaker.record_failure()
    assert breaker.state is OPEN  # 5 of 10


def test_a_success_never_opens_it() -> None:
    """Only a failure is judged: 3 of 5 failed is over the rate, yet the success that made 5 does not trip it."""
    breaker, _, _ = make(min_requests=5, rate=0.5)
    record(breaker, "xxx..")
    assert breaker.state is CLOSED
    breaker.record_failure()
    assert breaker.state is OPEN


def test_outcomes_older_than_the_window_no_longer_count() -> None:
    breaker, t, _ = make(min_requests=5, window=30.0)
    record(breaker, "xxxx")
    t.advance(30.0)
    breaker.record_failure()
    assert (breaker.state, breaker.window_counts) == (CLOSED, (1, 1))


def test_successes_older_than_the_window_no_longer_dilute_an_outage() -> None:
    breaker, t, _ = make(min_requests=5, window=30.0)
    record(breaker, "." * 50)
    t.advance(30.0)
    trip(breaker)
    assert breaker.state is OPEN


def test_outcomes_inside_the_window_still_count_just_before_it_ends() -> None:
    breaker, t, _ = make(min_requests=5, window=30.0)
    record(breaker, "xxxx")
    t.advance(30.0 - 30.0 / WINDOW_BUCKETS - 0.001)
    breaker.record_failure()
    assert breaker.state is OPEN


def test_open_rejects_until_cooldown_then_admits_exactly_one_probe() -> None:
    breaker, t, _ = make(cooldown=30.0)
    trip(breaker)
    t.advance(29.9)
    assert breaker.allow() is False
    assert breaker.state is OPEN  # reading the state never moves it
    t.advance(0.1)
    assert breaker.state is OPEN
    assert breaker.allow() is True
    assert breaker.state is HALF_OPEN
    assert [breaker.allow() for _ in range(3)] == [False, False, False]


def test_a_late_success_while_open_does_not_close_it() -> None:
    """A request sent before the breaker opened may still succeed; only the probe decides."""
    breaker, _, changes = make()
    trip(breaker)
    breaker.record_success()
    assert (breaker.state, changes) == (OPEN, [("closed", "open")])


def test_probe_success_closes_with_an_empty_window() -> None:
    breaker, t, changes = make()
    trip(breaker)
    t.advance(30.0)
    assert breaker.allow()
    breaker.record_success()
    assert (breaker.state, breaker.window_counts, breaker.opened_at) == (CLOSED, (0, 0), None)
    assert breaker.allow()
    assert changes == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


def test_probe_failure_reopens_with_a_new_cooldown() -> None:
    breaker, t, _ = make(cooldown=30.0)
    trip(breaker)
    t.advance(30.0)
    assert breaker.allow()
    breaker.record_failure()
    assert (breaker.state, breaker.opened_at) == (OPEN, t.clock())
    t.advance(29.0)
    assert not breaker.allow()
    t.advance(1.0)
    assert breaker.allow()


def test_released_probe_lets_the_next_call_probe() -> None:
    breaker, t, _ = make()
    trip(breaker)
    t.advance(30.0)
    assert breaker.allow()
    assert not breaker.allow()
    breaker.release_probe()
    assert breaker.state is HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()


def test_release_probe_outside_half_open_changes_nothing() -> None:
    breaker, _, _ = make()
    breaker.release_probe()
    assert breaker.allow()
    trip(breaker)
    breaker.release_probe()
    assert not breaker.allow()


def test_late_failure_while_open_does_not_extend_the_cooldown() -> None:
    breaker, t, _ = make(cooldown=30.0)
    trip(breaker)
    opened = breaker.opened_at
    t.advance(10.0)
    breaker.record_failure()
    assert breaker.opened_at == opened


def test_snapshot_reports_the_window_time_open_and_time_to_probe() -> None:
    breaker, t, _ = make(cooldown=30.0)
    record(breaker, "...x")
    assert breaker.snapshot() == {
        "name": "kiwoom",
        "state": "closed",
        "window_requests": 4,
        "window_failures": 1,
        "opened_for_s": None,
        "retry_in_s": None,
    }
    breaker, t, _ = make(cooldown=30.0)
    trip(breaker)
    t.advance(12.0)
    snap = breaker.snapshot()
    assert (snap["state"], snap["opened_for_s"], snap["retry_in_s"]) == ("open", 12.0, 18.0)
    t.advance(40.0)
    assert breaker.snapshot()["retry_in_s"] == 0.0


def test_state_changes_are_logged_in_korean(caplog: pytest.LogCaptureFixture) -> None:
    breaker, t, _ = make(min_requests=5, cooldown=30.0)
    with caplog.at_level(logging.WARNING, logger="kiwoom.resilience.breaker"):
        record(breaker, ".....xxxx")
        breaker.record_failure()
        t.advance(30.0)
        breaker.allow()
        breaker.record_success()
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "서킷 브레이커 열림 (최근 30초 요청 10건 중 5건 실패, 30초 후 재시도) [kiwoom]"
    assert len(messages) == 3
    assert all(r.levelno == logging.WARNING for r in caplog.records)


@pytest.mark.parametrize(
    ("kwargs", "field_name"),
    [
        ({"min_requests": 0}, "min_requests"),
        ({"cooldown_s": -1}, "cooldown_s"),
        ({"failure_rate": 0}, "failure_rate"),
        ({"failure_rate": 1.01}, "failure_rate"),
        ({"window_s": 0}, "window_s"),
    ],
)
def test_rejects_unworkable_settings(kwargs: dict[str, float], field_name: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CircuitBreaker(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field_name


# --- against a model ------------------------------------------------------------------------


@dataclass
class Model:
    """The breaker's contract, written as plainly as possible: every outcome kept with its time."""

    min_requests: int
    rate: float
    window: float
    cooldown: float
    state: str = "closed"
    outcomes: list[tuple[float, bool]] = field(default_factory=list)
    opened_at: float = 0.0
    probe_out: bool = False

    def counts(self, now: float) -> tuple[int, int]:
        """Outcomes whose bucket (a tenth of the window) is one of the last ten, the current one included."""
        width = self.window / WINDOW_BUCKETS
        current = math.floor(now / width)
        kept = [failed for at, failed in self.outcomes if math.floor(at / width) > current - WINDOW_BUCKETS]
        return len(kept), sum(kept)

    def allow(self, now: float) -> bool:
        if self.state == "open" and now - self.opened_at >= self.cooldown:
            self.state, self.probe_out = "half_open", False
        if self.state == "closed":
            return True
        if self.state == "half_open" and not self.probe_out:
            self.probe_out = True
            return True
        return False

    def success(self, now: float) -> None:
        if self.state == "closed":
            self.outcomes.append((now, False))
        elif self.state == "half_open":
            self.state, self.outcomes, self.probe_out = "closed", [], False

    def failure(self, now: float) -> None:
        if self.state == "closed":
            self.outcomes.append((now, True))
            total, failures = self.counts(now)
            if total >= self.min_requests and failures >= self.rate * total:
                self.state, self.opened_at, self.outcomes = "open", now, []
        elif self.state == "half_open":
            self.state, self.opened_at, self.probe_out = "open", now, False

    def release(self) -> None:
        if self.state == "half_open":
            self.probe_out = False


operations = st.lists(
    st.one_of(
        st.sampled_from(["allow", "success", "success", "failure", "failure", "release"]),
        st.integers(1, 20).map(lambda seconds: f"advance {seconds}"),
    ),
    max_size=80,
)


@settings(max_examples=200)
@given(st.integers(1, 5), st.sampled_from([0.3, 0.5, 1.0]), st.sampled_from([10, 30]), operations)
def test_breaker_follows_the_model(min_requests: int, rate: float, window: int, ops: list[str]) -> None:
    breaker, t, changes = make(min_requests, 20.0, rate=rate, window=float(window))
    model = Model(min_requests, rate, float(window), 20.0)
    for op in ops:
        if op == "allow":
            allowed = breaker.allow()
            assert allowed == model.allow(t.clock())
        elif op == "success":
            breaker.record_success()
            model.success(t.clock())
        elif op == "failure":
            breaker.record_failure()
            model.failure(t.clock())
        elif op == "release":
            breaker.release_probe()
            model.release()
        else:
            t.advance(float(op.split()[1]))
        assert breaker.state.value == model.state
        assert breaker.window_counts == model.counts(t.clock())
        assert (breaker.opened_at is None) == (model.state == "closed")
    assert all(old != new for old, new in changes)
