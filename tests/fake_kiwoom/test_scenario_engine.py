"""The scenario engine alone: rule matching, step sequencing, time windows and seeded dice."""

from __future__ import annotations

import random

import pytest

from fake_kiwoom import parse_scenario
from fake_kiwoom.scenario_engine import RequestFacts, ScenarioEngine
from tests.support.fake import FakeClock

TR = RequestFacts(path="/api/dostk/stkinfo", api_id="ka10001", stock_codes=("005930",), token_valid=True)


def engine_for(rules: str, *, seed: int = 0, clock: FakeClock | None = None) -> tuple[ScenarioEngine, FakeClock]:
    clock = clock or FakeClock()
    text = f"version: 1\nname: t\ndescription: test\nseed: {seed}\nrules:\n{rules}"
    engine = ScenarioEngine(clock)
    engine.load(parse_scenario(text, "test.yaml"))
    return engine, clock


def faults(engine: ScenarioEngine, clock: FakeClock, n: int, facts: RequestFacts = TR) -> list[str | None]:
    return [engine.decide(facts, clock()).fault_type for _ in range(n)]


def test_no_scenario_passes_everything() -> None:
    clock = FakeClock()
    engine = ScenarioEngine(clock)
    assert faults(engine, clock, 3) == [None, None, None]


def test_steps_cover_their_times_then_pass() -> None:
    engine, clock = engine_for(
        """
  - steps:
      - {times: 2, fault: {type: http_status, status: 503}}
      - {fault: {type: malformed_json}}
    then: pass
"""
    )
    assert faults(engine, clock, 5) == ["http_status", "http_status", "malformed_json", None, None]


def test_hold_repeats_the_last_step() -> None:
    engine, clock = engine_for(
        """
  - steps:
      - {fault: {type: empty_output}}
      - {fault: {type: kiwoom_error, code: 1700}}
    then: hold
"""
    )
    assert faults(engine, clock, 4) == ["empty_output", "kiwoom_error", "kiwoom_error", "kiwoom_error"]


def test_cycle_starts_the_steps_again() -> None:
    engine, clock = engine_for(
        """
  - steps:
      - {times: 2, fault: {type: http_status, status: 502}}
      - {fault: {type: latency, fixed_ms: 10}}
    then: cycle
"""
    )
    assert faults(engine, clock, 6) == ["http_status", "http_status", "latency"] * 2


def test_times_null_means_forever() -> None:
    engine, clock = engine_for("  - steps: [{times: null, fault: {type: drop_connection}}]\n")
    assert faults(engine, clock, 4) == ["drop_connection"] * 4


def test_after_and_until_request_bound_the_rule() -> None:
    engine, clock = engine_for(
        """
  - when: {after_request: 1, until_request: 3}
    steps: [{times: null, fault: {type: http_status, status: 500}}]
"""
    )
    assert faults(engine, clock, 5) == [None, "http_status", "http_status", None, None]


def test_time_window_follows_the_injected_clock() -> None:
    engine, clock = engine_for(
        """
  - when: {after_s: 10, for_s: 5}
    steps: [{times: 2, fault: {type: http_status, status: 503}}]
"""
    )
    assert faults(engine, clock, 1) == [None]
    clock.advance(10)
    assert faults(engine, clock, 1) == ["http_status"]
    clock.advance(4.9)
    assert faults(engine, clock, 1) == ["http_status"]
    engine.reset()  # steps and time origin start afresh
    clock.advance(5)
    assert faults(engine, clock, 1) == [None]
    clock.advance(5)
    assert faults(engine, clock, 1) == ["http_status"]
    clock.advance(5)
    assert faults(engine, clock, 1) == [None]


def test_steps_start_when_the_window_opens() -> None:
    engine, clock = engine_for(
        """
  - when: {after_s: 60}
    steps: [{times: 1, fault: {type: http_status, status: 503}}]
"""
    )
    assert faults(engine, clock, 3) == [None, None, None]
    clock.advance(60)
    assert faults(engine, clock, 2) == ["http_status", None]


def test_first_deciding_rule_wins_and_passed_rules_fall_through() -> None:
    engine, clock = engine_for(
        """
  - match: {api_id: ka10001}
    steps: [{times: 1, fault: {type: kiwoom_error, code: 8005}}]
  - steps: [{times: null, fault: {type: latency, fixed_ms: 5}}]
"""
    )
    decisions = [engine.decide(TR, clock()) for _ in range(3)]
    assert [(d.rule, d.fault_type) for d in decisions] == [(0, "kiwoom_error"), (1, "latency"), (1, "latency")]


@pytest.mark.parametrize(
    ("match", "facts", "hit"),
    [
        ("{path: /api/dostk/*}", TR, True),
        ("{path: /api/dostk/chart}", TR, False),
        ("{path: /oauth2/token}", RequestFacts(path="/oauth2/token", api_id="au10001"), True),
        ("{api_id: [ka10004, ka10001]}", TR, True),
        ("{api_id: ka10081}", TR, False),
        ("{stock_code: '000660'}", RequestFacts("/api/dostk/stkinfo", "ka10095", ("005930", "000660")), True),
        ("{stock_code: '000660'}", TR, False),
        ("{token_state: valid}", TR, True),
        ("{token_state: expired}", TR, False),
        ("{token_state: expired}", RequestFacts("/api/dostk/stkinfo", "ka10001", token_valid=False), True),
        ("{token_state: valid}", RequestFacts(path="/oauth2/token", api_id="au10001"), False),
        ("{session: user-1}", RequestFacts("/api/dostk/stkinfo", "ka10001", session="user-1"), True),
        ("{session: user-1}", TR, False),
    ],
)
def test_match_criteria(match: str, facts: RequestFacts, hit: bool) -> None:
    engine, clock = engine_for(f"  - match: {match}\n    steps: [{{fault: {{type: empty_output}}}}]\n")
    assert (engine.decide(facts, clock()).fault_type == "empty_output") is hit


FLAKY = """
  - steps: [{times: null, probability: 0.3, fault: {type: http_status, status: 503}}]
"""


def test_probability_follows_the_documented_seed_derivation() -> None:
    engine, clock = engine_for(FLAKY, seed=6)
    expected = [random.Random(f"6:0:default:{n}").random() < 0.3 for n in range(1, 41)]
    assert [f is not None for f in faults(engine, clock, 40)] == expected
    assert 0 < sum(expected) < 40


def test_probability_is_independent_of_interleaving() -> None:
    alone, clock = engine_for(FLAKY, seed=3)
    a = RequestFacts("/api/dostk/stkinfo", "ka10001", session="a")
    b = RequestFacts("/api/dostk/stkinfo", "ka10001", session="b")
    sequential = faults(alone, clock, 30, a) + faults(alone, clock, 30, b)
    mixed, clock = engine_for(FLAKY, seed=3)
    rng = random.Random(99)
    got: dict[str, list[str | None]] = {"a": [], "b": []}
    for facts in rng.sample([a] * 30 + [b] * 30, 60):
        got[facts.session].append(mixed.decide(facts, clock()).fault_type)
    assert got["a"] + got["b"] == sequential
    assert got["a"] != got["b"]  # sessions draw different dice


def test_sessions_have_their_own_counters() -> None:
    engine, clock = engine_for("  - steps: [{times: 1, fault: {type: http_status, status: 503}}]\n")
    a = RequestFacts("/api/dostk/stkinfo", "ka10001", session="a")
    b = RequestFacts("/api/dostk/stkinfo", "ka10001", session="b")
    assert faults(engine, clock, 2, a) == ["http_status", None]
    assert faults(engine, clock, 2, b) == ["http_status", None]
    sessions = engine.snapshot()["sessions"]
    assert sessions == {"a": [{"rule": 0, "matched": 2, "applied": 1}], "b": [{"rule": 0, "matched": 2, "applied": 1}]}


def test_probability_zero_never_faults_and_one_always_does() -> None:
    engine, clock = engine_for(
        """
  - match: {api_id: ka10001}
    steps: [{times: null, probability: 0.0, fault: {type: http_status, status: 503}}]
  - match: {api_id: ka10004}
    steps: [{times: null, probability: 1.0, fault: {type: http_status, status: 503}}]
"""
    )
    assert faults(engine, clock, 10) == [None] * 10
    other = RequestFacts("/api/dostk/mrkcond", "ka10004")
    assert faults(engine, clock, 10, other) == ["http_status"] * 10


def test_sampled_latency_is_seeded_and_bounded() -> None:
    rules = """
  - steps:
      - times: null
        fault: {type: latency, lognormal: {median_ms: 100, sigma: 1.5, max_ms: 400}}
"""
    first, clock = engine_for(rules, seed=1)
    second, _ = engine_for(rules, seed=1, clock=clock)
    delays = [first.decide(TR, clock()).delay_s for _ in range(50)]
    assert delays == [second.decide(TR, clock()).delay_s for _ in range(50)]
    assert all(0 < d <= 0.4 for d in delays)
    assert max(delays) == 0.4  # sigma 1.5 reaches the cap


def test_uniform_latency_stays_in_range_and_other_faults_add_their_latency() -> None:
    engine, clock = engine_for(
        """
  - match: {api_id: ka10001}
    steps: [{times: null, fault: {type: latency, uniform_ms: [100, 200]}}]
  - steps: [{times: null, fault: {type: hang, seconds: 60, latency: {fixed_ms: 500}}}]
"""
    )
    assert all(0.1 <= engine.decide(TR, clock()).delay_s <= 0.2 for _ in range(20))
    assert engine.decide(RequestFacts("/api/dostk/chart", "ka10081"), clock()).delay_s == pytest.approx(60.5)
