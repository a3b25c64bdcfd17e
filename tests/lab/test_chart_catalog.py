"""Every catalog lesson's chart, in Korean and in English: no label covers another, every colour is explained.

Each lesson runs once (the checks read the SVG it draws, both languages); the boxes come
from :func:`tests.lab.test_chart_labels.labels`, estimated from the SVG alone.
"""

from __future__ import annotations

import pathlib

import pytest

from fake_kiwoom.scenario_model import load_scenario
from kiwoom_lab import run_scenario
from kiwoom_lab.chart import render_svg
from tests.lab.test_chart_labels import SVG, assert_hides_nothing, marks_titled
from tests.support.redis import shared_redis_url

CATALOG = sorted(pathlib.Path("scenarios").glob("*.yaml"))
#: Kinds whose every event must have a mark of its own (piles of identical cache misses may share one).
OWN_MARK = ("call", "request", "retry", "paced", "fleet")


@pytest.mark.realtime
@pytest.mark.socket
@pytest.mark.parametrize("path", CATALOG, ids=[p.stem for p in CATALOG])
def test_a_lesson_chart_hides_nothing(path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(path)
    if "workers" in scenario.expect:  # a fleet lesson runs its workers on the test Redis
        monkeypatch.setenv("KIWOOM_LAB_REDIS_URL", shared_redis_url())
    report = run_scenario(scenario, source=str(path))
    for lang in ("ko", "en"):
        svg = render_svg(report, lang=lang)
        assert_hides_nothing(svg)
    titles = [title.text or "" for g in marks_titled(svg, ".") if (title := g.find(f"{SVG}title")) is not None]
    for event in (e for e in report.events if e.kind in OWN_MARK):
        assert any(event.detail in title for title in titles), f"no mark for {event.kind} {event.detail!r}"
    if path.stem == "redis_loss":  # each worker paces alone while Redis is gone: its waits must be drawn
        assert any(e.kind == "paced" for e in report.events)
