"""The timeline chart hides nothing: on hand-made timelines, no label covers another, crowded marks get a zoom.

The SVG is read back with ``xml.etree`` and every ``<text>`` is given a box from its own
attributes (x, y, font-size, text-anchor and its characters: a full em for anything
outside ASCII, 0.6 em for ASCII), independently of the chart's own estimate, so a change
in the placement code cannot make these tests agree with it by construction. The helpers
here serve the catalog-wide test (``test_chart_catalog``) too.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fake_kiwoom.scenario_model import load_scenario
from kiwoom_lab import Event, RunReport, parse_expect
from kiwoom_lab.chart import render_html, render_svg
from kiwoom_lab.report import CachePolicy
from kiwoom_lab.timeline import Tone

SVG = "{http://www.w3.org/2000/svg}"
SHAPES = ("rect", "circle", "path", "line", "polygon", "ellipse")


@dataclass(frozen=True)
class Label:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Label) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


def labels(svg: str) -> list[Label]:
    """Every drawn text with a conservative box: 0.6 em per ASCII character, 1 em for any other."""
    out = []
    for node in ET.fromstring(svg).iter(f"{SVG}text"):
        body = "".join(node.itertext())
        size = float(node.get("font-size", "11"))
        width = sum(0.6 if ch.isascii() else 1.0 for ch in body) * size
        x, y = float(node.get("x", "0")), float(node.get("y", "0"))
        anchor = node.get("text-anchor", "start")
        x0 = x - width if anchor == "end" else x - width / 2 if anchor == "middle" else x
        out.append(Label(body, x0, y - 0.8 * size, x0 + width, y + 0.2 * size))
    return out


def collisions(svg: str) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap."""
    return [(a.text, b.text) for a, b in itertools.combinations(labels(svg), 2) if a.overlaps(b)]


def _colours(node: ET.Element) -> set[str]:
    found = set()
    for shape in node.iter():
        if shape.tag.removeprefix(SVG) in SHAPES:
            found |= {shape.get(key, "none").lower() for key in ("fill", "stroke")}
    return found - {"none"}


def legend(svg: str) -> dict[str, str]:
    """Colour → meaning of every legend entry; fails when a colour means two things."""
    root = ET.fromstring(svg)
    box = root.find(f".//{SVG}g[@id='legend']")
    assert box is not None, "no legend"
    meanings: dict[str, str] = {}
    for entry in box.findall(f"{SVG}g"):
        meaning = "".join(entry.itertext())
        for colour in _colours(entry):
            assert colour not in meanings, f"{colour} means both {meanings[colour]!r} and {meaning!r}"
            meanings[colour] = meaning
    return meanings


def mark_colours(svg: str) -> set[str]:
    """The colours of every shape drawn for an event (the main chart's and the insets' marks)."""
    root = ET.fromstring(svg)
    return set().union(*(_colours(g) for g in root.iter(f"{SVG}g") if g.get("class") == "marks"))


def assert_hides_nothing(svg: str) -> None:
    """No two texts overlap, and every colour a mark uses is explained, once, by the legend."""
    assert collisions(svg) == []
    assert mark_colours(svg) <= set(legend(svg)), mark_colours(svg) - set(legend(svg))


def report(events: list[Event], **changes: Any) -> RunReport:
    """A report around hand-made events (a catalog lesson's scenario, nothing run)."""
    scenario = load_scenario("scenarios/ttl_expiry.yaml")
    fields: dict[str, Any] = {
        "scenario": scenario,
        "expect": parse_expect(scenario),
        "source": "scenarios/ttl_expiry.yaml",
        "events": events,
        "calls": [],
        "checks": [],
        "journal": [],
        "wall_s": 0.0,
        "cache": CachePolicy(300.0, {}, 3600.0),
    }
    return RunReport(**{**fields, **changes})


def call(t: float, source: str, number: int, duration: float = 0.0) -> Event:
    tone: Tone = "fail" if source == "sample" else "ok"
    return Event(t, "call", source, f"call {number} (005930): source={source}", tone, duration, ("005930",))


def cache(t: float, what: str) -> Event:
    return Event(t, "cache", what, f"get_stock_price: cache {what}", operation="get_stock_price")


def request(t: float, api_id: str, label: str, detail: str = "", tone: Tone = "ok") -> Event:
    codes = ("005930",) if api_id != "au10001" else ()
    return Event(t, "request", label, detail or f"{api_id} → {label}", tone, codes=codes, api_id=api_id)


def response(t: float, api_id: str, outcome: str) -> Event:
    tone: Tone = "ok" if outcome == "200" else "fail"
    return Event(t, "response", outcome, f"{api_id} answered {outcome}", tone, api_id=api_id)


def marks_titled(svg: str, pattern: str) -> list[ET.Element]:
    """The ``<g>`` of every mark (not label) whose hover text matches ``pattern``."""
    layers = [g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "marks"]
    found = []
    for g in (g for layer in layers for g in layer.iter(f"{SVG}g")):
        title = g.find(f"{SVG}title")
        if title is not None and re.search(pattern, title.text or ""):
            found.append(g)
    return found


def texts(svg: str) -> list[str]:
    return [label.text for label in labels(svg)]


TOKEN_CLUSTER = [
    call(0.0, "simulated", 1, 0.129),
    cache(0.0, "miss"),
    request(0.056, "au10001", "200"),
    request(0.060, "ka10001", "200", "ka10001 005930 → 200 [8005] fault=kiwoom_error", "fail"),
    response(0.061, "ka10001", "8005"),
    request(0.062, "au10001", "200"),
    request(0.063, "ka10001", "200"),
    response(0.129, "ka10001", "200"),
]


def test_a_token_refresh_within_milliseconds_is_zoomed_with_every_label_legible() -> None:
    svg = render_svg(report(TOKEN_CLUSTER))
    assert_hides_nothing(svg)
    shown = texts(svg)
    assert "zoom 1" in shown  # under the main chart, and as the inset's title
    assert any(t.startswith("zoom 1 · t+0.056–0.063") for t in shown)  # both token issues and both TRs
    assert shown.count("token 200") >= 2  # both issues, legible in the inset
    assert "8005" in shown
    assert "tokeken2000" not in "".join(shown)


def test_calls_the_open_breaker_answers_at_one_instant_are_each_their_own_mark() -> None:
    events = [call(0.0, "simulated", 1, 0.01), cache(0.0, "miss"), request(0.0, "ka10001", "200")]
    events.append(Event(5.0, "breaker", "open", "circuit breaker closed → open", "fail"))
    for number in (2, 3, 4):
        events += [
            call(9.0, "sample", number),
            cache(9.0, "miss"),
            Event(9.0, "fallback", "sample", "get_stock_price: sample data because breaker open", "fail"),
        ]
    svg = render_svg(report(events))
    assert_hides_nothing(svg)
    for number in (2, 3, 4):
        marks = marks_titled(svg, rf"call {number} \(005930\)")
        assert len(marks) == 2  # the main chart's sliver and the inset's mark
    inset = [marks_titled(svg, rf"call {n} \(005930\)")[1].find(f"{SVG}rect") for n in (2, 3, 4)]
    spans = sorted(
        (float(r.get("x", 0)), float(r.get("x", 0)) + float(r.get("width", 0))) for r in inset if r is not None
    )
    assert len(spans) == 3
    assert all(left[1] < right[0] for left, right in itertools.pairwise(spans))  # side by side, none on another
    assert any("one instant" in t for t in texts(svg))


def test_a_wait_for_the_rate_budget_is_a_span_in_the_pacing_lane() -> None:
    events = [
        call(0.0, "simulated", 1, 1.3),
        request(0.1, "ka10001", "503", tone="fail"),
        Event(0.1, "retry", "wait 0.2s", "attempt 1 failed", "warn", 0.2),
        request(0.3, "ka10001", "503", tone="fail"),
        Event(0.3, "retry", "wait 0.4s", "attempt 2 failed", "warn", 0.4),
        Event(0.7, "paced", "wait 0.5s", "ka10001: waiting 0.500 s for its rate budget", "warn", 0.5, api_id="ka10001"),
        request(1.2, "ka10001", "200"),
    ]
    svg = render_svg(report(events, overrides={"KIWOOM_RETRY_DELAY": "0.2"}))
    assert_hides_nothing(svg)
    assert "pacing (rate budget)" in texts(svg)
    assert "ka10001 wait 0.5s" in texts(svg)
    (wait,) = marks_titled(svg, "waiting 0.500 s for its rate budget")
    bar = wait.find(f"{SVG}rect")
    assert bar is not None
    (retry,) = [g.find(f"{SVG}rect") for g in marks_titled(svg, "attempt 2 failed")]
    assert retry is not None
    assert float(bar.get("width", 0)) > float(retry.get("width", 0))  # 0.5 s drawn longer than the 0.4 s backoff
    assert "wait for the rate budget" in legend(svg).values()
    assert any("(--set): KIWOOM_RETRY_DELAY=0.2" in t for t in texts(svg))


def test_a_caller_that_finds_the_budget_spent_is_a_point_named_in_the_legend() -> None:
    spent = Event(0.7, "paced", "spent", "ka10001: rate budget spent; asked another way", api_id="ka10001")
    svg = render_svg(report([call(0.0, "simulated", 1, 0.8), spent, request(0.71, "ka10095", "200")]))
    assert_hides_nothing(svg)
    assert "ka10001 budget spent" in texts(svg)
    assert "rate budget spent: asked another way" in legend(svg).values()


def _band(svg: str, pattern: str, colour: str) -> tuple[float, float]:
    (window,) = marks_titled(svg, pattern)
    rect = next(r for r in window.iter(f"{SVG}rect") if r.get("fill") == colour)
    return float(rect.get("x", 0)), float(rect.get("x", 0)) + float(rect.get("width", 0))


def _x(svg: str, pattern: str) -> float:
    rect = marks_titled(svg, pattern)[0].find(f"{SVG}rect")
    assert rect is not None
    return float(rect.get("x", 0))


def test_the_ttl_window_covers_the_cache_hit_and_ends_before_the_refresh() -> None:
    events = [
        call(0.0, "simulated", 1, 0.01),
        cache(0.0, "miss"),
        request(0.0, "ka10001", "200"),
        call(200.0, "cache", 2),
        cache(200.0, "hit"),
        call(400.0, "simulated", 3, 0.01),
        cache(400.0, "miss"),
        request(400.0, "ka10001", "200"),
    ]
    svg = render_svg(report(events))
    assert_hides_nothing(svg)
    meanings = legend(svg)
    ttl_colour = next(c for c, m in meanings.items() if "TTL" in m and "fresh" in m)
    stale_colour = next(c for c, m in meanings.items() if "stale" in m and "failure" in m)
    ttl = _band(svg, r"cached at t\+0\.010s", ttl_colour)
    stale = _band(svg, r"cached at t\+0\.010s", stale_colour)
    second, third = _x(svg, r"call 2 \("), _x(svg, r"call 3 \(")
    assert ttl[0] < second < ttl[1] < third  # the hit inside the TTL, the refresh after it
    assert stale[0] == ttl[1]
    assert third < stale[1] < third + 10  # stale from the TTL's end until call 3's fresh answer replaced it
    assert "300" in texts(svg)  # the TTL's end is a landmark on the axis
    assert "TTL 300 s" in texts(svg)


def test_the_ttl_comes_from_the_operation_override_and_no_band_without_settings() -> None:
    events = [call(0.0, "simulated", 1, 0.01), cache(0.0, "miss"), request(0.0, "ka10001", "200")]
    policy = CachePolicy(300.0, {"get_stock_price": 30.0}, 0.0)
    assert "TTL 30 s" in texts(render_svg(report(events, cache=policy)))
    assert not any(t.startswith("TTL ") for t in texts(render_svg(report(events, cache=None))))


def test_sample_and_5xx_no_longer_share_a_colour_and_rings_latency_and_empty_output_are_explained() -> None:
    events = [
        call(0.0, "sample", 1, 2.0),
        request(0.1, "ka10001", "503", "ka10001 005930 → 503 fault=http_status", "fail"),
        response(0.1, "ka10001", "503"),
        request(1.0, "ka10001", "200", "ka10001 005930 → 200 fault=latency delay=0.5s"),
        request(1.6, "ka10001", "200", "ka10001 005930 → 200 fault=empty_output", "fail"),
        Event(2.0, "fallback", "sample", "get_stock_price: sample data", "fail"),
    ]
    svg = render_svg(report(events))
    assert_hides_nothing(svg)
    meanings = " | ".join(legend(svg).values())
    for words in ("sample data", "HTTP error status", "answer back at the client", "latency", "empty output"):
        assert words in meanings


def test_the_heading_tells_the_narrative_in_the_asked_language() -> None:
    lesson = report([call(0.0, "simulated", 1, 0.01)])
    korean, english = render_svg(lesson, lang="ko"), render_svg(lesson, lang="en")
    assert any("장애는 없습니다" in t for t in texts(korean))
    assert any("No faults" in t for t in texts(english))
    assert_hides_nothing(korean)
    assert '<html lang="en">' in render_html(lesson, lang="en")
    assert '<html lang="ko">' in render_html(lesson)


_KINDS: dict[str, list[str]] = {
    "call": ["simulated", "cache", "stale", "sample", "error"],
    "request": ["200", "503", "dropped"],
    "response": ["200", "503", "timeout"],
    "retry": ["wait 1s", "wait 0.2s"],
    "paced": ["wait 0.5s", "spent"],
    "cache": ["miss", "hit", "coalesced", "stale"],
    "fallback": ["stale", "sample"],
    "stream": ["connect", "LOGIN", "reg", "DROP 1006", "reconnect_wait"],
    "breaker": ["open", "half_open", "closed"],
}


@st.composite
def timelines(draw: st.DrawFn) -> list[Event]:
    """Events bunched around a few instants (so marks crowd) and spread over seconds to minutes."""
    instants = draw(st.lists(st.floats(0, 600), min_size=1, max_size=4))
    events: list[Event] = []
    for _ in range(draw(st.integers(1, 30))):
        kind = draw(st.sampled_from(sorted(_KINDS)))
        label = draw(st.sampled_from(_KINDS[kind]))
        t = draw(st.sampled_from(instants)) + draw(st.sampled_from([0.0, 0.0005, 0.002, 0.03, 1.0]))
        duration = draw(st.sampled_from([0.0, 0.001, 0.4, 2.0])) if kind in ("call", "retry", "paced") else 0.0
        tone: Tone = draw(st.sampled_from(["ok", "warn", "fail", "info"]))
        api_id = draw(st.sampled_from(["ka10001", "ka10095", "au10001"]))
        detail = f"{kind} {label} #{len(events)}" + (" fault=hang" if kind == "request" and label == "dropped" else "")
        events.append(Event(t, kind, label, detail, tone, duration, ("005930",), api_id, "get_stock_price"))  # type: ignore[arg-type]
    return sorted(events, key=lambda e: e.t)


@settings(max_examples=60, deadline=None)
@given(timelines())
def test_no_timeline_makes_labels_collide_or_colours_go_unexplained(events: list[Event]) -> None:
    assert_hides_nothing(render_svg(report(events)))
