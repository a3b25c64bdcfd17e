"""The scenario runtime: decide, per request, which fault (if any) a loaded scenario injects.

Decisions must not depend on how concurrent requests interleave, or a load run and a
test would disagree about what "30 % failures" did. So:

* counters are kept per session (the ``x-fake-session`` header, ``default`` without it),
  so parallel tests or locust users each see the scenario from its first request;
* a step's dice roll and sampled latency come from a generator seeded with
  ``(scenario seed, rule index, session, sequence number)``, never from shared state;
* time windows (``after_s``/``for_s``) read the injected clock relative to the moment
  the scenario was loaded (or the fake reset).

Per rule and session two counters run. ``matched`` counts requests that fit the rule's
``match`` (whether or not another rule won them): ``after_request``/``until_request`` and
the dice use it. ``applied`` counts requests the rule actually decided: it walks the steps,
so a burst that opens at ``after_s: 10`` starts at its first step then, not earlier.

Rules are tried in order; the first one that decides wins. A rule does not decide when its
``when`` excludes the request, or when its steps have run out and ``then`` is ``pass``:
later rules then get their turn, and with none left the request passes untouched.

The ``stream:`` block (WebSocket faults) is counted here too, per session and reset with
the rest: how many connections took the faults at LOGIN, how many REGs were refused.
"""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from .scenario_model import Fault, HangFault, LatencyFault, Match, Rule, Scenario, Step, When
from .scenario_stream import StreamFaults

SESSION_HEADER = "x-fake-session"
DEFAULT_SESSION = "default"


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What a rule may match on, gathered by the app before it answers."""

    path: str
    api_id: str | None
    stock_codes: tuple[str, ...] = ()
    #: ``True``/``False`` for a TR request with a live / not-live token; ``None`` on token endpoints.
    token_valid: bool | None = None
    session: str = DEFAULT_SESSION


@dataclass(frozen=True, slots=True)
class Decision:
    """What the app must do: ``fault`` ``None`` means answer normally (after ``delay_s``, if any)."""

    rule: int | None = None
    fault: Fault | None = None
    #: Seconds to wait before answering: a latency fault, or the ``latency`` of another fault,
    #: plus a hang's ``seconds``.
    delay_s: float = 0.0

    @property
    def fault_type(self) -> str | None:
        return self.fault.type if self.fault is not None else None


PASS = Decision()


@dataclass(slots=True)
class RuleCounters:
    matched: int = 0
    applied: int = 0


@dataclass(slots=True)
class StreamCounters:
    #: Connections of the session that took the stream faults at LOGIN.
    faulty_connections: int = 0
    refused_regs: int = 0


@dataclass(slots=True)
class _Session:
    rules: list[RuleCounters] = field(default_factory=list)
    stream: StreamCounters = field(default_factory=StreamCounters)


def _matches(match: Match, facts: RequestFacts) -> bool:
    if match.path is not None and not fnmatch.fnmatchcase(facts.path, match.path):
        return False
    if match.api_id is not None and facts.api_id not in match.api_id:
        return False
    if match.stock_code is not None and not any(code in match.stock_code for code in facts.stock_codes):
        return False
    if match.session is not None and facts.session not in match.session:
        return False
    if match.token_state == "any":
        return True
    if facts.token_valid is None:
        return False
    return facts.token_valid == (match.token_state == "valid")


def _in_window(when: When, sequence: int, elapsed_s: float) -> bool:
    if sequence <= when.after_request:
        return False
    if when.until_request is not None and sequence > when.until_request:
        return False
    if elapsed_s < when.after_s:
        return False
    return when.for_s is None or elapsed_s < when.after_s + when.for_s


def step_at(rule: Rule, position: int) -> Step | None:
    """The step covering the rule's ``position``-th applied request (0-based), or ``None`` once it passes."""
    if all(step.times is not None for step in rule.steps):
        total = sum(step.times or 0 for step in rule.steps)
        if position >= total:
            if rule.then == "pass":
                return None
            if rule.then == "hold":
                return rule.steps[-1]
            position %= total
    for step in rule.steps:
        if step.times is None or position < step.times:
            return step
        position -= step.times
    raise AssertionError("unreachable: position is within the steps")


class ScenarioEngine:
    """Holds at most one scenario and its per-session counters."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.scenario: Scenario | None = None
        self.started_at = clock()
        self._sessions: dict[str, _Session] = {}

    def load(self, scenario: Scenario | None) -> None:
        """Switch scenarios (``None``: no faults); counters and the time origin start afresh."""
        self.scenario = scenario
        self.reset()

    def reset(self) -> None:
        self._sessions.clear()
        self.started_at = self._clock()

    def decide(self, facts: RequestFacts, now: float) -> Decision:
        scenario = self.scenario
        if scenario is None:
            return PASS
        session = self._sessions.setdefault(facts.session, _Session())
        if len(session.rules) < len(scenario.rules):
            session.rules.extend(RuleCounters() for _ in range(len(scenario.rules) - len(session.rules)))
        elapsed = now - self.started_at
        decision: Decision | None = None
        for index, rule in enumerate(scenario.rules):
            if not _matches(rule.match, facts):
                continue
            counters = session.rules[index]
            counters.matched += 1
            if decision is not None or not _in_window(rule.when, counters.matched, elapsed):
                continue
            step = step_at(rule, counters.applied)
            if step is None:
                continue
            counters.applied += 1
            rng = random.Random(f"{scenario.seed}:{index}:{facts.session}:{counters.matched}")
            decision = _roll(index, step, rng)
        return decision or PASS

    def stream_faults(self, session: str) -> StreamFaults | None:
        """The stream faults for a connection of ``session`` logging in now (``None``: it behaves).

        Counts the connection when it is one of the first ``connections`` of the session.
        """
        spec = self.scenario.stream if self.scenario is not None else None
        if spec is None:
            return None
        counters = self._sessions.setdefault(session, _Session()).stream
        if spec.connections is not None and counters.faulty_connections >= spec.connections:
            return None
        counters.faulty_connections += 1
        return spec

    def refuse_reg(self, session: str) -> int | None:
        """The error code to answer this REG of ``session`` with, or ``None`` to handle it."""
        spec = self.scenario.stream if self.scenario is not None else None
        if spec is None or spec.refuse_reg is None:
            return None
        counters = self._sessions.setdefault(session, _Session()).stream
        if spec.refuse_reg.times is not None and counters.refused_regs >= spec.refuse_reg.times:
            return None
        counters.refused_regs += 1
        return spec.refuse_reg.code

    def snapshot(self) -> dict[str, object]:
        """The admin view: scenario name, time origin and every session's counters."""
        return {
            "name": self.scenario.name if self.scenario else None,
            "started_at": self.started_at,
            "elapsed_s": self._clock() - self.started_at,
            "sessions": {
                key: [{"rule": i, "matched": c.matched, "applied": c.applied} for i, c in enumerate(s.rules)]
                for key, s in sorted(self._sessions.items())
            },
            "stream": {
                key: {"faulty_connections": s.stream.faulty_connections, "refused_regs": s.stream.refused_regs}
                for key, s in sorted(self._sessions.items())
                if s.stream.faulty_connections or s.stream.refused_regs
            },
        }


def _roll(index: int, step: Step, rng: random.Random) -> Decision:
    if step.probability < 1.0 and rng.random() >= step.probability:
        return Decision(rule=index)
    fault = step.fault
    if isinstance(fault, LatencyFault):
        delay = fault.sample_s(rng)
    else:
        delay = fault.latency.sample_s(rng) if fault.latency is not None else 0.0
        if isinstance(fault, HangFault):
            delay += fault.seconds
    return Decision(rule=index, fault=fault, delay_s=delay)
