"""Circuit breaker transitions on a fake clock, by example and against a small model."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiwoom.errors import InvalidInputError
from kiwoom.resilience import BreakerState, CircuitBreaker
from tests.support.clock import FakeTime

CLOSED, OPEN, HALF_OPEN = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN


def make(threshold: int = 3, cooldown: float = 30.0) -> tuple[CircuitBreaker, FakeTime, list[tuple[str, str]]]:
    t = FakeTime()
    changes: list[tuple[str, str]] = []
    breaker = CircuitBreaker(
        threshold, cooldown, clock=t.clock, on_change=lambda old, new: changes.append((old.value, new.value))
    )
    return breaker, t, changes


def trip(breaker: CircuitBreaker) -> None:
    for _ in range(breaker.failure_threshold):
        breaker.record_failure()


def test_opens_after_threshold_consecutive_failures() -> None:
    breaker, _, changes = make(threshold=3)
    breaker.record_failure()
    breaker.record_failure()
    assert (breaker.state, breaker.allow()) == (CLOSED, True)
    breaker.record_failure()
    assert (breaker.state, breaker.consecutive_failures, breaker.allow()) == (OPEN, 3, False)
    assert changes == [("closed", "open")]


def test_a_success_resets_the_consecutive_count() -> None:
    breaker, _, _ = make(threshold=3)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert (breaker.state, breaker.consecutive_failures) == (CLOSED, 2)


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


def test_probe_success_closes() -> None:
    breaker, t, changes = make()
    trip(breaker)
    t.advance(30.0)
    assert breaker.allow()
    breaker.record_success()
    assert (breaker.state, breaker.consecutive_failures, breaker.opened_at) == (CLOSED, 0, None)
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
    assert (breaker.opened_at, breaker.consecutive_failures) == (opened, 4)


def test_snapshot_reports_time_open_and_time_to_probe() -> None:
    breaker, t, _ = make(cooldown=30.0)
    assert breaker.snapshot() == {
        "name": "kiwoom",
        "state": "closed",
        "consecutive_failures": 0,
        "opened_for_s": None,
        "retry_in_s": None,
    }
    trip(breaker)
    t.advance(12.0)
    snap = breaker.snapshot()
    assert (snap["state"], snap["opened_for_s"], snap["retry_in_s"]) == ("open", 12.0, 18.0)
    t.advance(40.0)
    assert breaker.snapshot()["retry_in_s"] == 0.0


def test_state_changes_are_logged_in_korean(caplog: pytest.LogCaptureFixture) -> None:
    breaker, t, _ = make(threshold=5, cooldown=30.0)
    with caplog.at_level(logging.WARNING, logger="kiwoom.resilience.breaker"):
        trip(breaker)
        t.advance(30.0)
        breaker.allow()
        breaker.record_success()
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "서킷 브레이커 열림 (연속 실패 5회, 30초 후 재시도) [kiwoom]"
    assert len(messages) == 3
    assert all(r.levelno == logging.WARNING for r in caplog.records)


@pytest.mark.parametrize(
    ("kwargs", "field"), [({"failure_threshold": 0}, "failure_threshold"), ({"cooldown_s": -1}, "cooldown_s")]
)
def test_rejects_unworkable_settings(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CircuitBreaker(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


# --- against a model ------------------------------------------------------------------------


@dataclass
class Model:
    """The breaker's contract, written as plainly as possible."""

    threshold: int
    cooldown: float
    state: str = "closed"
    failures: int = 0
    opened_at: float = 0.0
    probe_out: bool = False

    def allow(self, now: float) -> bool:
        if self.state == "open" and now - self.opened_at >= self.cooldown:
            self.state, self.probe_out = "half_open", False
        if self.state == "closed":
            return True
        if self.state == "half_open" and not self.probe_out:
            self.probe_out = True
            return True
        return False

    def success(self) -> None:
        self.state, self.failures, self.probe_out = "closed", 0, False

    def failure(self, now: float) -> None:
        self.failures += 1
        if self.state == "half_open" or (self.state == "closed" and self.failures >= self.threshold):
            self.state, self.opened_at, self.probe_out = "open", now, False

    def release(self) -> None:
        if self.state == "half_open":
            self.probe_out = False


operations = st.lists(
    st.one_of(
        st.sampled_from(["allow", "success", "failure", "release"]),
        st.integers(1, 20).map(lambda seconds: f"advance {seconds}"),
    ),
    max_size=60,
)


@settings(max_examples=200)
@given(st.integers(1, 5), st.sampled_from([0, 5, 10, 30]), operations)
def test_breaker_follows_the_model(threshold: int, cooldown: int, ops: list[str]) -> None:
    breaker, t, changes = make(threshold, float(cooldown))
    model = Model(threshold, float(cooldown))
    for op in ops:
        if op == "allow":
            allowed = breaker.allow()
            assert allowed == model.allow(t.clock())
        elif op == "success":
            breaker.record_success()
            model.success()
        elif op == "failure":
            breaker.record_failure()
            model.failure(t.clock())
        elif op == "release":
            breaker.release_probe()
            model.release()
        else:
            t.advance(float(op.split()[1]))
        assert (breaker.state.value, breaker.consecutive_failures) == (model.state, model.failures)
        assert (breaker.opened_at is None) == (model.state == "closed")
    assert all(old != new for old, new in changes)
