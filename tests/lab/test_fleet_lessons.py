"""Fleet lessons: several workers on one Redis, which the lab loses on cue or whose worker it kills.

The lessons run against the machine's real Redis (through a relay the lab cuts), and the
crash lesson kills a real worker process with SIGKILL; both pass directly and ``--via mcp``.
"""

from __future__ import annotations

import asyncio
import json
import pathlib

import pytest
import redis.asyncio as aioredis

from fake_kiwoom.scenario_model import ScenarioError, parse_scenario
from kiwoom_lab import parse_expect
from kiwoom_lab.redis_cut import RedisRelay
from kiwoom_lab.render_text import render
from kiwoom_lab.report import RunReport
from kiwoom_lab.runner import run_file, run_scenario
from tests.support.redis import shared_redis_url

SCENARIOS = pathlib.Path("scenarios")


@pytest.fixture
def lab_redis(monkeypatch: pytest.MonkeyPatch) -> str:
    url = shared_redis_url()
    monkeypatch.setenv("KIWOOM_LAB_REDIS_URL", url)
    return url


def passed(name: str, via: str) -> RunReport:
    report = run_file(SCENARIOS / f"{name}.yaml", via=via)
    assert report.passed, "\n".join(check.line() for check in report.checks if not check.passed)
    return report


def fleet_labels(report: RunReport) -> list[str]:
    return [event.label for event in report.events if event.kind == "fleet"]


@pytest.mark.realtime
@pytest.mark.socket
@pytest.mark.usefixtures("lab_redis")
@pytest.mark.parametrize("via", ["client", "mcp"])
def test_redis_loss_degrades_each_worker_to_memory_and_shares_again_after(via: str) -> None:
    report = passed("redis_loss", via)
    labels = fleet_labels(report)
    assert (
        labels.index("redis cut") < labels.index("redis lost") < labels.index("redis up") < labels.index("redis back")
    )
    assert labels.count("redis lost") == 2, "each worker reports the outage once"
    shared = [event for event in report.events if event.kind == "cache" and event.label == "shared"]
    assert len(shared) == 2, "calls 2 and 6 read another worker's answer from Redis"
    workers = [event.detail.split(" · ")[0] for event in report.events if event.kind == "call"]
    assert workers == ["worker 0", "worker 1"] * 3


@pytest.mark.realtime
@pytest.mark.socket
@pytest.mark.usefixtures("lab_redis")
@pytest.mark.parametrize("via", ["client", "mcp"])
def test_a_killed_workers_flight_lock_is_taken_over_after_its_lease(via: str) -> None:
    report = passed("worker_crash", via)
    killed = next(event for event in report.events if event.kind == "fleet" and event.label == "worker killed")
    first_call = report.calls[0]
    # The survivor waited for the dead worker's lease (1 s) before asking itself, not for its call deadline.
    assert first_call.started >= killed.t - 0.05
    assert first_call.duration_s >= 0.5
    hung = [row for row in report.journal if row.get("fault") == "hang"]
    assert len(hung) == 1, "the dead worker's request is the one that hung"


@pytest.mark.socket
def test_without_redis_a_fleet_lesson_fails_with_one_check_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIWOOM_LAB_REDIS_URL", "redis://127.0.0.1:1/0")
    report = run_file(SCENARIOS / "worker_crash.yaml")
    assert not report.passed
    assert [check.key for check in report.checks] == ["redis"]
    assert "KIWOOM_LAB_REDIS_URL" in report.checks[0].line()


@pytest.mark.parametrize("url", ["redis://:hunter2@127.0.0.1:1/15", "redis://lab:hunter2@127.0.0.1:1/15"])
def test_a_redis_password_never_reaches_the_report(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("KIWOOM_LAB_REDIS_URL", url)
    report = run_file(SCENARIOS / "redis_loss.yaml")
    shown = json.dumps(report.to_dict(), ensure_ascii=False, default=str) + render(report, lang="en")
    assert "hunter2" not in shown
    assert ":***@127.0.0.1:1/15" in report.checks[0].line()


def test_a_malformed_redis_url_is_one_failed_check_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIWOOM_LAB_REDIS_URL", "localhost:6379")
    report = run_file(SCENARIOS / "worker_crash.yaml")
    (check,) = report.checks
    assert not check.passed
    assert "not a Redis URL" in check.observed


FLEET = """\
version: 1
name: fleet
description: two workers
expect:
  calls: 2
  workers: {workers}
"""


@pytest.mark.parametrize(
    ("workers", "message"),
    [
        ("{count: 2, calls_on: [0, 2]}", "calls_on[1] names worker 2; the fleet has workers 0 to 1"),
        ("{count: 2, calls_on: [0]}", "workers.calls_on lists 1 workers for 2 calls"),
        ("{redis_cut: {before_call: 1, restore_before_call: 2}}", "refers to call 2; the run makes calls 0 to 1"),
        ("{redis_cut: {before_call: 1, restore_before_call: 1}}", "restore_before_call must come after before_call"),
        ("{count: 1}", "expect.workers.count"),
    ],
)
def test_fleet_blocks_are_checked_at_load(workers: str, message: str) -> None:
    scenario = parse_scenario(FLEET.format(workers=workers), "fleet.yaml")
    with pytest.raises(ScenarioError) as caught:
        parse_expect(scenario, "fleet.yaml")
    assert message in str(caught.value)


def test_a_fleet_lesson_runs_on_the_real_clock_only() -> None:
    scenario = parse_scenario(FLEET.format(workers="{}") + "  clock: virtual\n", "fleet.yaml")
    with pytest.raises(ScenarioError, match="real clock"):
        run_scenario(scenario)


async def _relay_round_trip(url: str) -> tuple[object, str, object]:
    relay = RedisRelay(url)
    relayed = await relay.start()
    client = aioredis.from_url(relayed, socket_timeout=1.0, retry_on_timeout=False)
    try:
        before = await client.echo("through the relay")
        relay.cut()
        try:
            await client.echo("cut")
            during = "answered"
        except Exception as exc:  # the cut must surface as a connection error, not a hang
            during = type(exc).__name__
        relay.restore()
        after = await client.echo("restored")
    finally:
        await client.aclose()
        await relay.close()
    return before, during, after


def test_the_relay_cuts_and_restores_a_real_redis_link(lab_redis: str) -> None:
    before, during, after = asyncio.run(_relay_round_trip(lab_redis))
    assert before == b"through the relay"
    assert during in {"ConnectionError", "TimeoutError"}
    assert after == b"restored"
