"""The timeline picture: one self-contained SVG (no scripts, fonts or network), optionally in HTML.

Time runs left to right in lanes: the client's calls (coloured by where the answer came
from), the requests the fake saw (coloured by what met them; injected delays as thin
bars), the client's retry waits, cache and fallback markers, the breaker's state as a
band, and the real-time stream (client events and the fake's socket journal). Hovering
any mark shows its detail (SVG ``<title>``, no JavaScript), so the picture needs nothing
but a browser or an image viewer.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass

from kiwoom_lab.axis import BREAK_W, TimeAxis
from kiwoom_lab.report import RunReport
from kiwoom_lab.timeline import Event, answered_by

WIDTH = 1000
LEFT = 130
RIGHT = 30
LANE_H = 34
#: Height of one call's row when calls overlap (a concurrent burst stacks them in the calls lane).
ROW_H = 6
FONT = "Helvetica, Arial, 'Apple SD Gothic Neo', 'Noto Sans KR', sans-serif"

LANES = ("client calls", "upstream (fake)", "retry waits", "cache", "fallback", "breaker", "stream (ws)")
LANE_OF = {"call": 0, "request": 1, "response": 1, "retry": 2, "cache": 3, "fallback": 4, "stream": 6}
GREEN, BLUE, AMBER, RED, GREY = "#2e9d57", "#3f7fd0", "#e39b1b", "#d2413a", "#8a8f98"
TONES = {"ok": GREEN, "warn": AMBER, "fail": RED, "info": GREY}
SOURCE_COLOURS = {"live": GREEN, "simulated": GREEN, "cache": BLUE, "stale": AMBER, "sample": RED, "error": "#7a1d1a"}
FAULT_COLOURS = {
    "http_status": RED,
    "kiwoom_error": "#ef7d22",
    "hang": "#8b4fc9",
    "drop_connection": "#222222",
    "malformed_json": "#8c5a2b",
    "truncated_body": "#8c5a2b",
    "empty_output": GREY,
    "latency": "#c7b11d",
}
BREAKER_COLOURS = {"closed": "#d9f0e1", "open": "#f6d0ce", "half_open": "#fbe7c2"}
LEGEND = (
    ("fresh (live/simulated)", GREEN),
    ("cache", BLUE),
    ("stale / retry wait", AMBER),
    ("sample / 5xx", RED),
    ("1700/8005 envelope", "#ef7d22"),
    ("hang", "#8b4fc9"),
    ("dropped", "#222222"),
    ("bad body", "#8c5a2b"),
)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def el(tag: str, **attrs: object) -> str:
    """One empty SVG element; ``stroke_width`` is written ``stroke-width``, floats to 0.1 px."""
    parts = [f'{k.replace("_", "-")}="{f"{v:.1f}" if isinstance(v, float) else esc(v)}"' for k, v in attrs.items()]
    return f"<{tag} {' '.join(parts)}/>"


def text(
    x: float, y: float, body: str, *, size: int = 11, fill: str = "#222", anchor: str = "start", bold: bool = False
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    position = f'x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"{weight}'
    return f"<text {position}>{esc(body)}</text>"


def mark(shapes: str, tip: str) -> str:
    return f"<g>{shapes}<title>{esc(tip)}</title></g>"


def _call(event: Event, axis: TimeAxis, top: float, labelled: bool, *, row: int = 0, rows: int = 1) -> str:
    x = axis.x(event.t)
    x1 = max(axis.x(event.t + event.duration_s), x + 3)
    colour = SOURCE_COLOURS.get(event.label, TONES[event.tone])
    if rows > 1:  # calls running at once: one thin row each, no room for text (the tooltip has it)
        return el("rect", x=x, y=top + 6 + row * ROW_H, width=x1 - x, height=ROW_H - 2, rx=1, fill=colour)
    shapes = el("rect", x=x, y=top + 6, width=x1 - x, height=LANE_H - 12, rx=3, fill=colour)
    if x1 - x > 50:
        shapes += text(x + 4, top + LANE_H / 2 + 4, event.label, size=10, fill="#fff")
    elif labelled:
        shapes += text(x, top + 4, event.label, size=9, fill=colour)
    return shapes


def _request(event: Event, axis: TimeAxis, top: float, labelled: bool) -> str:
    x = axis.x(event.t)
    fault = next((w[6:].rstrip(",:;") for w in event.detail.split() if w.startswith("fault=")), "")
    colour = FAULT_COLOURS.get(fault, TONES[event.tone])
    shapes = ""
    if event.duration_s:  # the injected delay: how long the fake held the request
        width = max(axis.x(event.t + event.duration_s) - x, 1.0)
        shapes += el("rect", x=x, y=top + LANE_H / 2 - 2, width=width, height=4, fill=colour, opacity=0.45)
    shapes += el("rect", x=x - 2, y=top + 5.0, width=4, height=LANE_H - 10, fill=colour)
    if event.detail.startswith("au1000"):  # token issue/revoke: label below, out of the TRs' way
        shapes += text(x + 4, top + LANE_H - 3, f"token {event.label}", size=8, fill=GREY)
    elif len(event.codes) > 1:  # a batch: one request, many codes, always named
        shapes += text(x + 4, top + 12, f"{event.api_id} ×{len(event.codes)} codes", size=9, fill=colour, bold=True)
    elif labelled:
        shapes += text(x + 4, top + 12, event.label, size=9, fill=colour)
    return shapes


def _point(event: Event, axis: TimeAxis, top: float, labelled: bool) -> str:
    x, mid = axis.x(event.t), top + LANE_H / 2
    colour = TONES[event.tone]
    if event.kind == "response":
        return el("circle", cx=x, cy=top + LANE_H - 7, r=3, fill="none", stroke=colour, stroke_width=1.5)
    if event.kind == "retry" or (event.kind == "stream" and event.duration_s):
        x1 = max(axis.x(event.t + event.duration_s), x + 2)
        bar = el("rect", x=x, y=top + 10, width=x1 - x, height=LANE_H - 20, fill=AMBER, opacity=0.8)
        return bar + text(x + 2, top + 8, event.label, size=9, fill="#a86a00")
    if event.kind == "fallback":
        path = f"M{x:.1f},{mid - 7:.1f} L{x + 7:.1f},{mid:.1f} L{x:.1f},{mid + 7:.1f} L{x - 7:.1f},{mid:.1f} Z"
        shape = el("path", d=path, fill=colour)
    else:
        shape = el("circle", cx=x, cy=mid, r=5, fill=colour)
    return shape + (text(x + 8, mid + 4, event.label, size=9, fill=colour) if labelled else "")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the lanes sit: the calls lane grows one thin row per call running at the same time."""

    top: float
    #: The row of each event of the report (calls only; 0 for the rest), and how many rows there are.
    rows: tuple[int, ...]
    row_count: int

    @classmethod
    def of(cls, events: list[Event], top: float) -> Layout:
        ends: list[float] = []
        rows = []
        for event in events:
            if event.kind != "call":
                rows.append(0)
                continue
            row = next((i for i, end in enumerate(ends) if end <= event.t), len(ends))
            if row == len(ends):
                ends.append(0.0)
            ends[row] = event.t + event.duration_s
            rows.append(row)
        return cls(top, tuple(rows), max(len(ends), 1))

    def height(self, lane: int) -> float:
        return max(LANE_H, 12.0 + self.row_count * ROW_H) if lane == 0 and self.row_count > 1 else LANE_H

    def lane_top(self, lane: int) -> float:
        return self.top + sum(self.height(i) for i in range(lane))

    @property
    def bottom(self) -> float:
        return self.lane_top(len(LANES))

    def row_middle(self, index: int) -> float:
        """The vertical middle of event ``index``'s call row."""
        if self.row_count == 1:
            return self.top + LANE_H / 2
        return self.top + 6 + self.rows[index] * ROW_H + (ROW_H - 2) / 2


def _events(report: RunReport, axis: TimeAxis, layout: Layout) -> list[str]:
    """Every event in its lane; a label only where the previous one in that lane leaves room."""
    out: list[str] = []
    last_label: dict[str, float] = {}
    for index, event in enumerate(report.events):
        lane = LANE_OF.get(event.kind)
        if lane is None:
            continue
        x, top = axis.x(event.t), layout.lane_top(lane)
        labelled = x - last_label.get(event.kind, -1e9) > 34
        if labelled:
            last_label[event.kind] = x
        if event.kind == "call":
            shapes = _call(event, axis, top, labelled, row=layout.rows[index], rows=layout.row_count)
        else:
            shapes = (_request if event.kind == "request" else _point)(event, axis, top, labelled)
        out.append(mark(shapes, f"t+{event.t:.3f}s  {event.detail}"))
    return out


def _batch_links(events: list[Event], axis: TimeAxis, layout: Layout) -> list[str]:
    """A line from each batch request up to the end of every call it answered: one request, many calls."""
    position = {id(event): index for index, event in enumerate(events)}
    answered: dict[int, list[int]] = {}
    for index, event in enumerate(events):
        request = answered_by(event, events)
        if request is not None and len(request.codes) > 1:
            answered.setdefault(position[id(request)], []).append(index)
    out = []
    y0 = layout.lane_top(LANE_OF["request"]) + 5
    for at, calls in answered.items():
        request, lines = events[at], ""
        for i in calls:
            x1, y1 = axis.x(events[i].t + events[i].duration_s), layout.row_middle(i)
            lines += el("line", x1=axis.x(request.t), y1=y0, x2=x1, y2=y1, stroke=BLUE, stroke_width=0.8, opacity=0.45)
        tip = f"{request.api_id} at t+{request.t:.3f}s: one request, {len(request.codes)} codes, {len(calls)} calls"
        out.append(mark(lines, tip))
    return out


def _breaker_band(events: list[Event], axis: TimeAxis, top: float) -> list[str]:
    end_x = axis.segments[-1].x1
    changes = [(axis.x(e.t), e.label, e.detail) for e in events if e.kind == "breaker"]
    state, x0, out = "closed", axis.segments[0].x0, []
    for x, new_state, detail in [*changes, (end_x, "", "")]:
        if x > x0:
            out.append(el("rect", x=x0, y=top + 6, width=x - x0, height=LANE_H - 12, fill=BREAKER_COLOURS[state]))
            if x - x0 > 40:
                out.append(text(x0 + 4, top + LANE_H / 2 + 4, state, size=10, fill="#444"))
        if detail:
            line = el("line", x1=x, x2=x, y1=top + 2, y2=top + LANE_H - 2, stroke=RED, stroke_width=2)
            out.append(mark(line, detail))
        state, x0 = new_state or state, x
    return out


def _scenario_lines(events: list[Event], axis: TimeAxis, layout: Layout) -> list[str]:
    """A dashed line across every lane where the runner loaded the scenario (its faults begin)."""
    out = []
    chart_top, bottom = layout.top, layout.bottom
    for event in (e for e in events if e.kind == "scenario"):
        x = axis.x(event.t)
        line = el("line", x1=x, x2=x, y1=chart_top - 12, y2=bottom, stroke="#555", stroke_dasharray="4,3")
        out.append(mark(line + text(x + 4, chart_top - 4, "faults on", size=9, fill="#555"), event.detail))
    return out


def _frame(axis: TimeAxis, layout: Layout) -> list[str]:
    """Lane backgrounds and names, breaks, the time axis and its ticks."""
    out: list[str] = []
    chart_top = layout.top
    height = layout.bottom - chart_top
    for index, name in enumerate(LANES):
        top, lane_h = layout.lane_top(index), layout.height(index)
        fill = "#f7f8fa" if index % 2 == 0 else "#ffffff"
        out.append(el("rect", x=LEFT, y=top, width=WIDTH - LEFT - RIGHT, height=lane_h, fill=fill))
        out.append(text(LEFT - 8, top + lane_h / 2 + 4, name, anchor="end", fill="#444"))
    for seg in (s for s in axis.segments if s.gap):
        box = {"fill": "#fff", "stroke": "#bbb", "stroke_dasharray": "3,3"}
        out.append(el("rect", x=seg.x0 + 6, y=chart_top, width=BREAK_W - 12, height=height, **box))
        label = f"⋯ {seg.end - seg.start:.0f} s"
        out.append(text((seg.x0 + seg.x1) / 2, chart_top + height + 26, label, size=9, anchor="middle", fill="#888"))
    axis_y = chart_top + height
    out.append(el("line", x1=LEFT, x2=WIDTH - RIGHT, y1=axis_y, y2=axis_y, stroke="#888"))
    for t, x in axis.ticks():
        out.append(el("line", x1=x, x2=x, y1=axis_y, y2=axis_y + 4, stroke="#888"))
        out.append(text(x, axis_y + 15, f"{t:g}", size=9, anchor="middle", fill="#666"))
    out.append(text(LEFT - 8, axis_y + 15, "t+ seconds", size=9, anchor="end", fill="#666"))
    return out


def _header(report: RunReport) -> tuple[list[str], float]:
    """Title, run facts and the scenario's teaching text; returns the elements and the next y."""
    verdict = "PASS" if report.passed else "FAIL"
    colour = GREEN if report.passed else RED
    clock = "virtual clock: waits cost no wall time" if report.clock == "virtual" else "real clock"
    out = [
        text(20, 30, f"{report.scenario.name} — {verdict}", size=20, fill=colour, bold=True),
        text(20, 48, f"{report.source} · {clock} · {len(report.calls)} call(s)", fill="#666"),
    ]
    y = 56.0
    for paragraph in report.scenario.narrative("en").strip().splitlines():
        for line in textwrap.wrap(paragraph, 150) or [""]:
            y += 15
            out.append(text(20, y, line, size=12, fill="#333"))
    return out, y + 30


def _footer(report: RunReport, y: float) -> tuple[list[str], float]:
    """The colour legend and the expectation results; returns the elements and the final y."""
    out: list[str] = []
    x = float(LEFT)
    for label, colour in LEGEND:
        out.append(el("rect", x=x, y=y - 9, width=10, height=10, fill=colour))
        out.append(text(x + 14, y, label, size=10, fill="#444"))
        x += 24 + 6.2 * len(label)
    y += 30
    out.append(text(20, y, "Expectations", size=14, bold=True))
    lines = [(("✔ " if c.passed else "✘ ") + c.line(), GREEN if c.passed else RED) for c in report.checks]
    for line, colour in lines or [("(the scenario's expect block checks nothing)", "#666")]:
        y += 17
        out.append(text(30, y, line, fill=colour))
    return out, y + 24


def render_svg(report: RunReport) -> str:
    """The whole picture: title, description, the lanes, a legend and the expectation results."""
    header, chart_top = _header(report)
    axis = TimeAxis(report.events, LEFT, WIDTH - RIGHT)
    layout = Layout.of(report.events, chart_top)
    breaker_top = layout.lane_top(LANES.index("breaker"))
    body = [*_frame(axis, layout), *_breaker_band(report.events, axis, breaker_top)]
    body += _batch_links(report.events, axis, layout)
    body += _events(report, axis, layout) + _scenario_lines(report.events, axis, layout)
    footer, height = _footer(report, layout.bottom + 48)
    size = f'width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}"'
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" {size} font-family="{esc(FONT)}">',
            f"<title>{esc(report.scenario.name)} timeline</title>",
            el("rect", width=WIDTH, height=height, fill="#ffffff"),
            *header,
            *body,
            *footer,
            "</svg>\n",
        ]
    )


_STYLE = """body { font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; font-size: 13px; margin-top: 16px; }
td, th { border-bottom: 1px solid #e4e6ea; padding: 3px 10px; text-align: left; vertical-align: top; }
td:first-child { text-align: right; font-variant-numeric: tabular-nums; }
tr.fail td:nth-child(3) { color: #d2413a; } tr.warn td:nth-child(3) { color: #a86a00; }
tr.ok td:nth-child(3) { color: #2e9d57; }"""


def render_html(report: RunReport) -> str:
    """The SVG and the timeline as a table, in one page that opens offline."""
    rows = "\n".join(
        f"<tr class='{esc(e.tone)}'><td>{e.t:.3f}</td><td>{esc(e.kind)}</td>"
        f"<td>{esc(e.label)}</td><td>{esc(e.detail)}</td></tr>"
        for e in report.events
    )
    verdict = "PASS" if report.passed else "FAIL"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(report.scenario.name)} — {verdict}</title>
<style>
{_STYLE}
</style></head><body>
{render_svg(report)}
<h2>Timeline</h2>
<table><thead><tr><th>t+s</th><th>kind</th><th>what</th><th>detail</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""
