"""The timeline picture: one self-contained SVG (no scripts, fonts or network), optionally in HTML.

Time runs left to right in lanes: the client's calls (coloured by where the answer came
from), the requests the fake saw (coloured by what met them; injected delays as thin
bars; a hollow ring where the answer got back to the client), the client's retry waits,
its waits for the rate budget, the cache (with each cached answer's TTL and stale window
as bands) and fallbacks, the breaker's state as a band, and the real-time stream. Hovering
any mark shows its detail (SVG ``<title>``, no JavaScript).

Nothing that happened may be hidden: no label covers another (:mod:`kiwoom_lab.chart_labels`),
marks that share a few pixels are drawn again magnified below the chart
(:mod:`kiwoom_lab.chart_inset`), and every colour drawn is in the legend
(:mod:`kiwoom_lab.chart_legend`). The heading shows the ``--set`` overrides of the run and
the lesson's narrative in the learner's language.
"""

from __future__ import annotations

import html
import re

from fake_kiwoom.scenario_model import Lang
from kiwoom_lab.axis import BREAK_W, TimeAxis
from kiwoom_lab.chart_cache import cached_windows, draw_windows, landmarks
from kiwoom_lab.chart_inset import InsetDrawer, find_clusters
from kiwoom_lab.chart_labels import LabelPlacer, Wish
from kiwoom_lab.chart_legend import draw_legend
from kiwoom_lab.chart_marks import BREAKER_LANE, FLEET_LANE, LANES, Item, Lanes, Painter, build_items, draw_items
from kiwoom_lab.chart_style import StylesUsed, is_token
from kiwoom_lab.chart_svg import Box, Text, el, esc, mark, text
from kiwoom_lab.fonts import FONT_STACK, font_face_css
from kiwoom_lab.render_text import ui
from kiwoom_lab.report import RunReport
from kiwoom_lab.timeline import Event, answered_by
from krx.textwidth import wrap

WIDTH = 1000
LEFT = 150
RIGHT = 30
#: The lab's own Hangul face first (embedded in the page), then system faces: Korean never shows as boxes.
FONT = FONT_STACK
#: Display columns of one narrative line (a Hangul syllable takes two).
NARRATIVE_COLUMNS = 124
GREEN, RED = "#2e9d57", "#d2413a"


def _frame(axis: TimeAxis, lanes: Lanes, placer: LabelPlacer) -> list[str]:
    """Lane backgrounds and names, breaks, the time axis and its ticks."""
    out: list[str] = []
    chart_top, axis_y = lanes.top, lanes.bottom
    for index in lanes.shown:
        top, height, name = lanes.lane_top(index), lanes.height(index), LANES[index]
        fill = "#f7f8fa" if index % 2 == 0 else "#ffffff"
        out.append(el("rect", x=LEFT, y=top, width=WIDTH - LEFT - RIGHT, height=height, fill=fill))
        out.append(placer.fixed(Text(LEFT - 8, top + height / 2 + 4, name, 11, "#444", "end")))
    for seg in (s for s in axis.segments if s.gap):
        box = {"fill": "#fff", "stroke": "#bbb", "stroke_dasharray": "3,3"}
        out.append(el("rect", x=seg.x0 + 6, y=chart_top, width=BREAK_W - 12, height=axis_y - chart_top, **box))
        label = f"⋯ {seg.end - seg.start:.0f} s"
        out.append(placer.fixed(Text((seg.x0 + seg.x1) / 2, axis_y + 26, label, 9, "#888", "middle")))
    out.append(el("line", x1=LEFT, x2=WIDTH - RIGHT, y1=axis_y, y2=axis_y, stroke="#888"))
    for t, x in axis.ticks():
        out.append(el("line", x1=x, x2=x, y1=axis_y, y2=axis_y + 4, stroke="#888"))
        out.append(placer.fixed(Text(x, axis_y + 15, f"{t:g}", 9, "#666", "middle")))
    out.append(placer.fixed(Text(LEFT - 8, axis_y + 15, "t+ seconds", 9, "#666", "end")))
    return out


def _breaker_band(
    events: list[Event], axis: TimeAxis, lanes: Lanes, placer: LabelPlacer, used: StylesUsed
) -> tuple[list[str], list[str]]:
    """The breaker's state as a band, a line where it changed (hover: from what to what); and the state names."""
    top, height = lanes.lane_top(BREAKER_LANE), lanes.height(BREAKER_LANE)
    changes = [(axis.x(e.t), e.label, e.detail) for e in events if e.kind == "breaker"]
    state, x0, out, labels = "closed", axis.segments[0].x0, [], []
    for x, new_state, detail in [*changes, (axis.segments[-1].x1, "", "")]:
        if x > x0:
            style = used(f"breaker_{state}" if state in ("open", "half_open") else "breaker_closed")
            out.append(el("rect", x=x0, y=top + 6, width=x - x0, height=height - 12, fill=style.colour))
            wish = Wish(state.replace("_", "-"), [(x0 + 4, top + height / 2 + 4, "start")], 10, style.on)
            label = placer.place(wish, within=Box(x0, top, x, top + height))
            labels += [label.svg()] if label is not None else []
        if detail:
            change = used("breaker_change").colour
            line = el("line", x1=x, x2=x, y1=top + 2, y2=top + height - 2, stroke=change, stroke_width=2)
            out.append(mark(line, detail))
        state, x0 = new_state or state, x
    return out, labels


def _batch_links(events: list[Event], items: list[Item], lanes: Lanes, used: StylesUsed) -> list[str]:
    """A line from each batch request up to the end of every call it answered: one request, many calls."""
    item_of = {id(event): item for item in items for event in item.events}
    answered: dict[int, list[Item]] = {}
    for event in events:
        request = answered_by(event, events)
        if request is not None and len(request.codes) > 1 and id(event) in item_of:
            answered.setdefault(id(request), []).append(item_of[id(event)])
    out = []
    y0 = lanes.lane_top(1) + 5
    for request_id, calls in answered.items():
        batch, lines = item_of[request_id], ""
        colour = used("batch").colour
        for call in calls:
            x1, y1 = call.x1, lanes.row_middle(call)
            lines += el("line", x1=batch.x0, y1=y0, x2=x1, y2=y1, stroke=colour, stroke_width=0.8, opacity=0.45)
        first = batch.first
        tip = f"{first.api_id} at t+{first.t:.3f}s: one request, {len(first.codes)} codes, {len(calls)} calls"
        out.append(mark(lines, tip))
    return out


def _scenario_lines(
    events: list[Event], axis: TimeAxis, lanes: Lanes, placer: LabelPlacer, used: StylesUsed
) -> tuple[list[str], list[str]]:
    """A dashed line across every lane where the runner loaded the scenario (its faults begin), and its label."""
    out, labels = [], []
    for event in (e for e in events if e.kind == "scenario"):
        x, colour = axis.x(event.t), used("faults_on").colour
        line = el("line", x1=x, x2=x, y1=lanes.top - 12, y2=lanes.bottom, stroke=colour, stroke_dasharray="4,3")
        out.append(mark(line, event.detail))
        label = placer.place(Wish("faults on", [(x + 4, lanes.top - 4, "start"), (x - 4, lanes.top - 4, "end")]))
        labels += [mark(label.svg(), event.detail)] if label is not None else []
    return out, labels


def _header(report: RunReport, lang: Lang) -> tuple[list[str], float]:
    """Title, run facts, the ``--set`` overrides and the lesson's narrative; returns the elements and the next y."""
    verdict = "PASS" if report.passed else "FAIL"
    colour = GREEN if report.passed else RED
    clock = "virtual clock: waits cost no wall time" if report.clock == "virtual" else "real clock"
    out = [
        text(20, 30, f"{report.scenario.name} — {verdict}", size=20, fill=colour, bold=True),
        text(20, 48, f"{report.source} · {clock} · {len(report.calls)} call(s)", fill="#666"),
    ]
    y = 48.0
    if report.overrides:
        sets = " ".join(f"{name}={value}" for name, value in report.overrides.items())
        for line in wrap(ui("overrides", lang, pairs=sets), NARRATIVE_COLUMNS):
            y += 16
            out.append(text(20, y, line, fill="#8a4b00", bold=True))
    y += 8
    for paragraph in paragraphs(report.scenario.narrative(lang)):
        for line in wrap(paragraph, NARRATIVE_COLUMNS) or [""]:
            y += 15
            out.append(text(20, y, line, size=12, fill="#333"))
    return out, y + 32


def _expectations(report: RunReport, y: float) -> tuple[list[str], float]:
    """The expectation results, one line each; returns the elements and the final y."""
    out = [text(20, y, "Expectations", size=14, bold=True)]
    lines = [(("✔ " if c.passed else "✘ ") + c.line(), GREEN if c.passed else RED) for c in report.checks]
    for line, colour in lines or [("(the scenario's expect block checks nothing)", "#666")]:
        for part in wrap(line, 134):
            y += 17
            out.append(text(30, y, part, fill=colour))
    return out, y + 24


def paragraphs(narrative: str) -> list[str]:
    """The narrative's sentences reflowed: a source line that does not end a sentence runs on into the next.

    Scenario files wrap their text for a terminal (88 columns); the chart is wider, so keeping
    every source line would leave a word or two alone on a line.
    """
    out: list[str] = []
    for raw in narrative.strip().splitlines():
        line = raw.strip()
        if out and out[-1] and not out[-1].endswith((".", "!", "?", ":", "다")) and line:
            out[-1] += " " + line
        else:
            out.append(line)
    return out


def page_text(markup: str) -> str:
    """Every character a page shows (its text nodes, entities decoded): what its embedded face must hold."""
    return html.unescape("".join(re.findall(r">([^<]+)<", markup)))


def _with_font(svg: str) -> str:
    """``svg`` with the Hangul face embedded (just its own glyphs), so it renders alike on any machine."""
    head, _, rest = svg.partition("\n")
    return f"{head}\n<defs><style>{font_face_css(page_text(rest))}</style></defs>\n{rest}"


def render_svg(report: RunReport, *, lang: Lang = "ko", embed_font: bool = True) -> str:
    """The whole picture: heading, lanes, zoomed insets, legend and the expectation results.

    ``embed_font`` puts the lab's Hangul face in the SVG, subset to its text; a page that holds
    the SVG among other text (:func:`render_html`) embeds one face for all of it instead.
    """
    svg = _svg(report, lang)
    return _with_font(svg) if embed_font else svg


def _svg(report: RunReport, lang: Lang) -> str:
    header, chart_top = _header(report, lang)
    windows = cached_windows(report.events, report.cache)
    axis = TimeAxis(report.events, LEFT, WIDTH - RIGHT, landmarks=landmarks(windows, report.events))
    items = build_items(report.events, lambda e: (axis.x(e.t), axis.x(e.t + e.duration_s)))
    fleet = any(item.lane == FLEET_LANE for item in items)  # its lane only in the lessons that have one
    lanes = Lanes.of(items, chart_top, tuple(i for i in range(len(LANES)) if i != FLEET_LANE or fleet))
    placer, used = LabelPlacer(Box(0, 0, WIDTH, 1e6)), StylesUsed()
    trs = {e.api_id for e in report.events if e.kind == "request" and not is_token(e)}
    painter = Painter(lanes, used, name_trs=len(trs) > 1)  # name the TR when the run asks more than one
    frame = _frame(axis, lanes, placer)
    marks, labels = _scenario_lines(report.events, axis, lanes, placer, used)
    for drawn, named in (
        _breaker_band(report.events, axis, lanes, placer, used),
        draw_windows(windows, axis, lanes, placer, used),
        ([*_batch_links(report.events, items, lanes, used)], []),
        draw_items(items, painter, placer, within=Box(LEFT, lanes.top - 14, WIDTH, lanes.bottom)),
    ):
        marks += drawn
        labels += named
    insets = InsetDrawer(WIDTH, placer, used, name_trs=painter.name_trs)
    clusters = find_clusters(items, lanes)
    insets.markers(clusters, lanes.top, lanes.bottom)
    below = insets.draw(clusters, lanes.bottom + 68) + 14 if clusters else lanes.bottom + 40
    legend, y = draw_legend(used, LEFT, WIDTH - RIGHT, below + 12)
    footer, height = _expectations(report, y + 16)
    size = f'width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}"'
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" {size} font-family="{esc(FONT)}">',
            f"<title>{esc(report.scenario.name)} timeline</title>",
            el("rect", width=WIDTH, height=height, fill="#ffffff"),
            *header,
            '<g class="frame">',
            *frame,
            *insets.frame,
            "</g>",
            '<g class="marks">',
            *marks,
            *insets.marks,
            "</g>",
            '<g class="labels">',
            *labels,
            *insets.labels,
            "</g>",
            *legend,
            *footer,
            "</svg>\n",
        ]
    )


_STYLE = "\n".join(
    [
        f"body {{ font-family: {FONT_STACK}; margin: 24px; color: #222; }}",
        "table { border-collapse: collapse; font-size: 13px; margin-top: 16px; }",
        "td, th { border-bottom: 1px solid #e4e6ea; padding: 3px 10px; text-align: left; vertical-align: top; }",
        "td:first-child { text-align: right; font-variant-numeric: tabular-nums; }",
        "tr.fail td:nth-child(3) { color: #d2413a; } tr.warn td:nth-child(3) { color: #a86a00; }",
        "tr.ok td:nth-child(3) { color: #2e9d57; }",
    ]
)


def render_html(report: RunReport, *, lang: Lang = "ko") -> str:
    """The SVG and the timeline as a table, in one page that opens offline."""
    rows = "\n".join(
        f"<tr class='{esc(e.tone)}'><td>{e.t:.3f}</td><td>{esc(e.kind)}</td>"
        f"<td>{esc(e.label)}</td><td>{esc(e.detail)}</td></tr>"
        for e in report.events
    )
    verdict = "PASS" if report.passed else "FAIL"
    body = f"""{render_svg(report, lang=lang, embed_font=False)}
<h2>Timeline</h2>
<table><thead><tr><th>t+s</th><th>kind</th><th>what</th><th>detail</th></tr></thead>
<tbody>
{rows}
</tbody></table>"""
    title = f"{report.scenario.name} — {verdict}"
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
{font_face_css(title + page_text(body))}
{_STYLE}
</style></head><body>
{body}
</body></html>
"""
